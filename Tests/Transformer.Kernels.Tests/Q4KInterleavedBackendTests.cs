using System.Runtime.CompilerServices;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;
using Xunit;

namespace Transformer.Kernels.Tests;

/// <summary>
/// A CPU backend on an x86 path holds a Q4_K weight only as its row-interleaved repack: the row-major weight it was
/// given is let go, embedding lookups and the matmul read the repack, and a token's result is the same bits alone
/// or inside a batch split over threads.
/// </summary>
public class Q4KInterleavedBackendTests
{
    private const int Rows = 21;

    public static TheoryData<CpuIsa> Isas() => [CpuIsa.Avx2, CpuIsa.AvxVnni, CpuIsa.Avx512];

    private static readonly KQuantCase Case = new(Rows, 2, 6, 17);

    private static Q4KWeight Weight() => Q4KWeight.FromGgml(Case.Q4KBlocks(), Rows, Case.K);

    private static void SkipUnlessSupported(CpuIsa isa) => Q8TestData.SkipUnlessSupported(isa);

    [Theory]
    [MemberData(nameof(Isas))]
    public void The_backend_holds_only_the_repack_and_lets_the_row_major_weight_go(CpuIsa isa)
    {
        SkipUnlessSupported(isa);
        using var backend = new CpuBackend(new CpuBackendOptions { Isa = isa, Threads = 1 });
        var (prepared, source) = Prepare(backend);
        var q = Assert.IsType<CpuQ4KWeight>(prepared);
        Assert.Null(q.Weight);
        Assert.NotNull(q.Interleaved);
        Assert.Equal(q.Interleaved.ByteSize, q.ByteSize);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(source.IsAlive, "the backend still holds the row-major Q4KWeight beside its repack");
        GC.KeepAlive(prepared);
    }

    [Fact]
    public void Scalar_backend_keeps_the_row_major_weight_alone()
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Isa = CpuIsa.Scalar, Threads = 1 });
        var w = Weight();
        using var prepared = backend.PrepareQuantizedWeight("w", w);
        var q = Assert.IsType<CpuQ4KWeight>(prepared);
        Assert.Same(w, q.Weight);
        Assert.Null(q.Interleaved);
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Embedding_lookups_and_the_matmul_read_the_repack_and_each_token_is_its_batch_row(CpuIsa isa)
    {
        SkipUnlessSupported(isa);
        using var backend = new CpuBackend(new CpuBackendOptions { Isa = isa, Threads = 2 });
        var w = Weight();
        using var prepared = backend.PrepareQuantizedWeight("w", w);
        int k = Case.K;
        int[] tokens = [0, 7, 8, 20, 3];
        using var rows = backend.Allocate(tokens.Length, k);
        backend.Embed(prepared, tokens, rows);
        var actual = new float[tokens.Length * k];
        backend.Download(rows, actual);
        var expectedRow = new float[k];
        for (int t = 0; t < tokens.Length; t++)
        {
            w.DequantizeRow(tokens[t], expectedRow);
            Assert.True(KQuantTestData.SameBits(expectedRow, actual.AsSpan(t * k, k).ToArray()), $"embedding of token {tokens[t]}");
        }

        float[] input = Case.Activations();
        var batch = MatMul(backend, prepared, input, Case.Tokens);
        var activations = Case.Quantized();
        var expected = new float[Case.Tokens * Rows];
        Q4KReference.ComputeRowsFused(activations, new Q4KInterleavedWeight(w), expected, 0, Rows);
        Assert.True(KQuantTestData.SameBits(expected, batch), "the batched matmul differs from the fused spec");
        for (int t = 0; t < Case.Tokens; t++)
        {
            var one = MatMul(backend, prepared, input.AsSpan(t * k, k).ToArray(), 1);
            Assert.True(KQuantTestData.SameBits(one, batch.AsSpan(t * Rows, Rows).ToArray()), $"token {t} alone differs from its batch row");
        }
    }

    /// <summary>A float matrix quantized to Q4_K at load takes the same road: repacked, and the matmul its spec.</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void A_matrix_quantized_to_q4_k_at_load_is_held_as_the_repack(CpuIsa isa)
    {
        SkipUnlessSupported(isa);
        using var backend = new CpuBackend(new CpuBackendOptions { Isa = isa, Threads = 2 });
        float[] values = new Q8Case(Rows, Case.Blocks, 1, 23).Weights();
        using var prepared = backend.PrepareWeight(Transformer.Kernels.Tensors.HostTensor.FromFloats("w", values, Rows, Case.K), WeightFormat.Q4K);
        var q = Assert.IsType<CpuQ4KWeight>(prepared);
        Assert.Null(q.Weight);
        var expected = new float[Case.Tokens * Rows];
        Q4KReference.ComputeRowsFused(Case.Quantized(), new Q4KInterleavedWeight(Q4KWeight.Quantize(values, Rows, Case.K)), expected, 0, Rows);
        Assert.True(KQuantTestData.SameBits(expected, MatMul(backend, prepared, Case.Activations(), Case.Tokens)), "the matmul differs from the fused spec");
    }

    private static float[] MatMul(CpuBackend backend, DeviceWeight weight, float[] input, int tokens)
    {
        using var x = backend.Upload(input, tokens, Case.K);
        using var y = backend.Allocate(tokens, Rows);
        backend.MatMul(x, [weight], [y]);
        var result = new float[tokens * Rows];
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
