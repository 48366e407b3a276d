using System.Runtime.CompilerServices;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;
using Xunit;

namespace Transformer.Kernels.Tests;

/// <summary>
/// A CPU backend on an x86 path keeps only the Q6_K repack: the row-major weight it was given is not held, embedding
/// lookups and the matmul read the repack, and a token's result is the same bits alone or inside a batch.
/// </summary>
public class Q6KInterleavedBackendTests
{
    private static readonly KQuantCase Case = new(13, 2, 6, 31);

    public static TheoryData<CpuIsa> X86Isas => [CpuIsa.Avx2, CpuIsa.AvxVnni, CpuIsa.Avx512];

    private static Q6KWeight Weight() => Q6KWeight.FromGgml(Case.Q6KBlocks(), Case.Rows, Case.K);

    [Theory]
    [MemberData(nameof(X86Isas))]
    public void The_backend_holds_only_the_repack_and_lets_the_row_major_weight_go(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        using var backend = new CpuBackend(new CpuBackendOptions { Isa = isa, Threads = 1 });
        var (prepared, source) = Prepare(backend);
        var q = Assert.IsType<CpuQ6KWeight>(prepared);
        Assert.Null(q.Weight);
        Assert.NotNull(q.Interleaved);
        Assert.Equal(q.Interleaved.ByteSize, q.ByteSize);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(source.IsAlive, "the backend still holds the row-major Q6KWeight beside its repack");
        GC.KeepAlive(prepared);
    }

    /// <summary>A weight whose super-block's blocks have different d's (not ggml data) cannot be repacked: it stays row-major.</summary>
    [Theory]
    [MemberData(nameof(X86Isas))]
    public void A_weight_the_repack_cannot_hold_stays_row_major(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        using var backend = new CpuBackend(new CpuBackendOptions { Isa = isa, Threads = 1 });
        var w = Weight();
        var d = w.Scales.ToArray();
        d[1] *= 2;
        var mixed = new Q6KWeight(w.OutFeatures, w.InFeatures, w.Memory.Blocks, System.Runtime.InteropServices.MemoryMarshal.AsBytes(d.AsSpan()).ToArray());
        using var prepared = backend.PrepareQuantizedWeight("w", mixed);
        var q = Assert.IsType<CpuQ6KWeight>(prepared);
        Assert.Same(mixed, q.Weight);
        Assert.Null(q.Interleaved);
    }

    [Fact]
    public void Scalar_backend_keeps_the_row_major_weight_alone()
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Isa = CpuIsa.Scalar, Threads = 1 });
        var w = Weight();
        using var prepared = backend.PrepareQuantizedWeight("w", w);
        var q = Assert.IsType<CpuQ6KWeight>(prepared);
        Assert.Same(w, q.Weight);
        Assert.Null(q.Interleaved);
    }

    [Theory]
    [MemberData(nameof(X86Isas))]
    public void Embedding_lookups_and_the_matmul_read_the_repack_and_are_batch_invariant(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        using var backend = new CpuBackend(new CpuBackendOptions { Isa = isa, Threads = 2 });
        var w = Weight();
        using var prepared = backend.PrepareQuantizedWeight("w", w);
        int k = Case.K, rows = Case.Rows, tokens = Case.Tokens;
        int[] ids = [0, 7, 8, 12, 3];
        using var embedded = backend.Allocate(ids.Length, k);
        backend.Embed(prepared, ids, embedded);
        var actual = new float[ids.Length * k];
        backend.Download(embedded, actual);
        var row = new float[k];
        for (int t = 0; t < ids.Length; t++)
        {
            w.DequantizeRow(ids[t], row);
            Assert.True(KQuantTestData.SameBits(row, actual.AsSpan(t * k, k).ToArray()), $"embedding of row {ids[t]} differs");
        }

        var input = Case.Activations();
        var batch = MatMul(backend, prepared, input, tokens, k, rows);
        var expected = new float[tokens * rows];
        Q6KReference.ComputeRowsFused(Case.Quantized(), new Q6KInterleavedWeight(w), expected, 0, rows);
        Assert.True(KQuantTestData.SameBits(expected, batch), "the backend's matmul differs from the fused spec");
        for (int t = 0; t < tokens; t++)
        {
            var alone = MatMul(backend, prepared, input.AsSpan(t * k, k).ToArray(), 1, k, rows);
            Assert.True(KQuantTestData.SameBits(alone, batch.AsSpan(t * rows, rows).ToArray()), $"token {t} alone differs from inside the batch");
        }
    }

    private static float[] MatMul(CpuBackend backend, DeviceWeight w, float[] input, int tokens, int k, int rows)
    {
        using var x = backend.Upload(input, tokens, k);
        using var y = backend.Allocate(tokens, rows);
        backend.MatMul(x, [w], [y]);
        var result = new float[tokens * rows];
        backend.Download(y, result);
        return result;
    }

    // Not inlined, so the only references to the row-major weight left afterwards are whatever the backend keeps.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (DeviceWeight Prepared, WeakReference Source) Prepare(CpuBackend backend)
    {
        var w = Weight();
        return (backend.PrepareQuantizedWeight("w", w), new WeakReference(w));
    }
}
