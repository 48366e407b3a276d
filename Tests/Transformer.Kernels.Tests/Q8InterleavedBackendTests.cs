using System.Runtime.CompilerServices;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;
using Xunit;

namespace Transformer.Kernels.Tests;

/// <summary>
/// A CPU backend on the row-interleaved int8 path keeps only the repack: the row-major weight it was given is
/// not held (it can be collected), the bytes it reports are one int8 copy, and embedding lookups and the matmul
/// read the repack.
/// </summary>
public class Q8InterleavedBackendTests
{
    private const int Rows = 13, Blocks = 3, K = Blocks * Q8Format.BlockSize;

    private static void SkipUnlessInterleaved(CpuIsa isa) =>
        Assert.SkipUnless(Q8MatMul.Interleaves(isa), $"the {CpuIsaSupport.Name(isa)} int8 path does not use the row-interleaved kernel on this CPU");

    private static Q8Weight Weight() => Q8Weight.Quantize(new Q8Case(Rows, Blocks, 1, 11).Weights(), Rows, K);

    [Theory]
    [InlineData(CpuIsa.AvxVnni)]
    [InlineData(CpuIsa.Avx512)]
    [InlineData(CpuIsa.Avx2)]
    public void The_backend_holds_only_the_repack_and_lets_the_row_major_weight_go(CpuIsa isa)
    {
        SkipUnlessInterleaved(isa);
        using var backend = new CpuBackend(new CpuBackendOptions { Isa = isa, Threads = 1 });
        var (prepared, source) = Prepare(backend);
        var q = Assert.IsType<CpuQ8Weight>(prepared);
        Assert.Null(q.Weight);
        Assert.NotNull(q.Interleaved);
        Assert.Equal(q.Interleaved.ByteSize, q.ByteSize);
        // One int8 copy: the row-major bytes plus the last group's padding rows, never two copies.
        long rowMajor = (long)Rows * Blocks * (Q8Format.BlockSize + sizeof(float));
        long padding = (long)(Q8InterleavedWeight.GroupRows - Rows % Q8InterleavedWeight.GroupRows) * Blocks * (Q8Format.BlockSize + sizeof(float));
        Assert.Equal(rowMajor + padding, q.ByteSize);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(source.IsAlive, "the backend still holds the row-major Q8Weight beside its repack");
        GC.KeepAlive(prepared);
    }

    [Fact]
    public void Scalar_backend_keeps_the_row_major_weight_alone()
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Isa = CpuIsa.Scalar, Threads = 1 });
        var w = Weight();
        using var prepared = backend.PrepareQuantizedWeight("w", w);
        var q = Assert.IsType<CpuQ8Weight>(prepared);
        Assert.Same(w, q.Weight);
        Assert.Null(q.Interleaved);
        Assert.Equal(w.ByteSize, q.ByteSize);
    }

    [Theory]
    [InlineData(CpuIsa.AvxVnni)]
    [InlineData(CpuIsa.Avx512)]
    [InlineData(CpuIsa.Avx2)]
    public void Embedding_lookups_and_the_matmul_read_the_repack_as_the_row_major_weight(CpuIsa isa)
    {
        SkipUnlessInterleaved(isa);
        using var backend = new CpuBackend(new CpuBackendOptions { Isa = isa, Threads = 2 });
        var w = Weight();
        using var prepared = backend.PrepareQuantizedWeight("w", w);
        int[] tokens = [0, 7, 8, 12, 3];
        using var rows = backend.Allocate(tokens.Length, K);
        backend.Embed(prepared, tokens, rows);
        var actual = new float[tokens.Length * K];
        backend.Download(rows, actual);
        var table = new float[Rows * K];
        w.Dequantize(table);
        for (int t = 0; t < tokens.Length; t++)
            Assert.Equal(table.AsSpan(tokens[t] * K, K).ToArray(), actual.AsSpan(t * K, K).ToArray());

        var input = new Q8Case(Rows, Blocks, 3, 19).Activations();
        using var x = backend.Upload(input, 3, K);
        using var y = backend.Allocate(3, Rows);
        backend.MatMul(x, [prepared], [y]);
        var got = new float[3 * Rows];
        backend.Download(y, got);
        var activations = new Q8Activations(K);
        activations.Quantize(input, 3);
        var expected = new float[3 * Rows];
        Q8Reference.ComputeRowsFused(activations, w, expected, 0, Rows);
        Assert.Equal(expected, got);
    }

    // Not inlined, so the only references to the row-major weight left afterwards are whatever the backend keeps.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (DeviceWeight Prepared, WeakReference Source) Prepare(CpuBackend backend)
    {
        var w = Weight();
        return (backend.PrepareQuantizedWeight("w", w), new WeakReference(w));
    }
}
