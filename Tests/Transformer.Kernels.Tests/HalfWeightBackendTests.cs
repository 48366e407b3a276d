using System.Runtime.InteropServices;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Tensors;
using Xunit;

namespace Transformer.Kernels.Tests;

/// <summary>The CPU backend keeps F16/BF16 weights 16-bit and computes what the widened float32 weight computes.</summary>
public class HalfWeightBackendTests
{
    public static TheoryData<CpuIsa, DType> IsasAndTypes()
    {
        var data = new TheoryData<CpuIsa, DType>();
        foreach (var isa in Enum.GetValues<CpuIsa>())
            foreach (var type in new[] { DType.F16, DType.BF16 }) data.Add(isa, type);
        return data;
    }

    [Theory]
    [MemberData(nameof(IsasAndTypes))]
    public void Half_weight_matmul_matches_the_widened_f32_weight(CpuIsa isa, DType type)
    {
        Q8TestData.SkipUnlessSupported(isa);
        // Several row blocks per thread and a K with a tail on every vector width.
        var c = new HalfCase(type, Rows: 103, K: 83, Tokens: 7, Seed: 11);
        ushort[] bits = c.WeightBits();
        float[] x = c.Activations();
        var stored = new HostTensor("w", type, [c.Rows, c.K], MemoryMarshal.AsBytes(bits.AsSpan()).ToArray());
        var widened = HostTensor.FromFloats("w", stored.ToFloat32(), c.Rows, c.K);

        using var backend = new CpuBackend(new CpuBackendOptions { Isa = isa, Threads = 2 });
        using var half = backend.PrepareWeight(stored, WeightFormat.F32);
        using var full = backend.PrepareWeight(widened, WeightFormat.F32);
        Assert.IsType<CpuHalfWeight>(half);
        Assert.Equal(2L * c.Rows * c.K, half.ByteSize);

        float[] yHalf = MatMul(backend, half, x, c);
        float[] yFull = MatMul(backend, full, x, c);
        float[] w = widened.ToFloat32();
        for (int t = 0; t < c.Tokens; t++)
            for (int o = 0; o < c.Rows; o++)
            {
                double magnitude = 0;
                for (int i = 0; i < c.K; i++) magnitude += Math.Abs((double)w[o * c.K + i] * x[t * c.K + i]);
                // Both are float32 sums of the same exact products; each is within γ_(K+16)·Σ|w·x| of the exact sum.
                double bound = 2 * (c.K + 16) * Math.Pow(2, -24) * 1.01 * magnitude;
                int at = t * c.Rows + o;
                Assert.True(Math.Abs(yHalf[at] - yFull[at]) <= bound, $"{isa} {type} y[{t}, {o}]: half {yHalf[at]}, f32 {yFull[at]}, bound {bound}");
            }
    }

    [Theory]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void Embedding_rows_of_a_half_table_are_the_exact_widened_rows(DType type)
    {
        var c = new HalfCase(type, Rows: 9, K: 21, Tokens: 1, Seed: 3);
        var stored = new HostTensor("embed", type, [c.Rows, c.K], MemoryMarshal.AsBytes(c.WeightBits().AsSpan()).ToArray());
        float[] widened = stored.ToFloat32();
        using var backend = new CpuBackend(new CpuBackendOptions { Isa = CpuIsa.Scalar, Threads = 1 });
        using var table = backend.PrepareWeight(stored, WeightFormat.F32);
        int[] tokens = [4, 0, 8, 4];
        using var output = backend.Allocate(tokens.Length, c.K);
        backend.Embed(table, tokens, output);
        var rows = new float[tokens.Length * c.K];
        backend.Download(output, rows);
        for (int t = 0; t < tokens.Length; t++)
            Assert.Equal(widened.AsSpan(tokens[t] * c.K, c.K).ToArray(), rows.AsSpan(t * c.K, c.K).ToArray());
    }

    /// <summary>
    /// Q8 from a 16-bit source quantizes the exactly widened values (the same blocks as from the
    /// float32 tensor); a K that is not whole blocks stays 16-bit rather than becoming a float32 copy.
    /// </summary>
    [Theory]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void Q8_at_load_quantizes_the_widened_values_and_a_K_off_the_blocks_stays_16_bit(DType type)
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Isa = CpuIsa.Scalar, Threads = 1 });
        var whole = new HalfCase(type, Rows: 6, K: 2 * Q8Format.BlockSize, Tokens: 1, Seed: 7);
        var stored = new HostTensor("w", type, [whole.Rows, whole.K], MemoryMarshal.AsBytes(whole.WeightBits().AsSpan()).ToArray());
        using var quantized = backend.PrepareWeight(stored, WeightFormat.Q8);
        var expected = Q8Weight.Quantize(stored.ToFloat32(), whole.Rows, whole.K);
        var q = Assert.IsType<CpuQ8Weight>(quantized);
        Assert.Equal(expected.Values.ToArray(), q.Weight!.Values.ToArray());
        Assert.Equal(expected.Scales.ToArray(), q.Weight.Scales.ToArray());

        var ragged = new HalfCase(type, Rows: 6, K: Q8Format.BlockSize + 3, Tokens: 1, Seed: 7);
        var raggedTensor = new HostTensor("w", type, [ragged.Rows, ragged.K], MemoryMarshal.AsBytes(ragged.WeightBits().AsSpan()).ToArray());
        using var kept = backend.PrepareWeight(raggedTensor, WeightFormat.Q8);
        Assert.IsType<CpuHalfWeight>(kept);
    }

    private static float[] MatMul(CpuBackend backend, DeviceWeight weight, float[] x, HalfCase c)
    {
        using var input = backend.Upload(x, c.Tokens, c.K);
        using var output = backend.Allocate(c.Tokens, c.Rows);
        backend.MatMul(input, [weight], [output]);
        var y = new float[c.Tokens * c.Rows];
        backend.Download(output, y);
        return y;
    }
}
