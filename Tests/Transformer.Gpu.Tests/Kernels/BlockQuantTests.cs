using FsCheck;
using FsCheck.Fluent;
using Transformer.Gpu.Tests.Fixtures;
using Transformer.Gpu.Tests.Support;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu.Ops;
using Transformer.Kernels.Gpu;
using Transformer.Kernels.Gpu.Memory;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Tensors;

namespace Transformer.Gpu.Tests.Kernels;

/// <summary>
/// Q4_0, Q4_K and Q6_K weights kept in their blocks on the device and dequantized in-kernel, against the CPU scalar
/// references (<c>DequantizeRow</c>, ggml's <c>dequantize_row_*</c> bit for bit): every dequantized value the same bits,
/// the matmul within float32 summation error of the f32 matmul over those values, and the device holding the blocks'
/// bytes, fewer than int8 or float32 would take.
/// </summary>
public abstract class BlockQuantTests(AcceleratorFixture fixture, ITestOutputHelper output)
{
    private const int Cases = 40;

    public static TheoryData<string> Formats() => new("q4_0", "q4_k", "q6_k");

    /// <summary>A quantized matrix: how the backend prepares it, the scalar reference's values and the blocks' host bytes.</summary>
    private sealed record Quantized(Func<IlgpuBackend, DeviceWeight> Prepare, float[] Dequantized, long BlockBytes, WeightFormat Format);

    /// <summary>Values per step of K the format needs: Q4_0 blocks of 32, K-quant super-blocks of 256.</summary>
    private static int KStep(string format) => format == "q4_0" ? 32 : 256;

    /// <summary>Largest K the properties reach: 16 Q4_0 blocks, 3 super-blocks.</summary>
    private static int MaxSteps(string format) => format == "q4_0" ? 16 : 3;

    private static Quantized Quantize(string format, float[] values, int rows, int columns)
    {
        var dequantized = new float[values.Length];
        switch (format)
        {
            case "q4_0":
                var q4 = Q4Weight.Quantize(values, rows, columns);
                for (int o = 0; o < rows; o++) q4.DequantizeRow(o, dequantized.AsSpan(o * columns, columns));
                return new Quantized(b => b.PrepareQuantizedWeight("w", q4), dequantized, q4.ByteSize, WeightFormat.Q4);
            case "q4_k":
                var q4k = Q4KWeight.Quantize(values, rows, columns);
                for (int o = 0; o < rows; o++) q4k.DequantizeRow(o, dequantized.AsSpan(o * columns, columns));
                return new Quantized(b => b.PrepareQuantizedWeight("w", q4k), dequantized, q4k.ByteSize, WeightFormat.Q4K);
            case "q6_k":
                var q6k = Q6KWeight.Quantize(values, rows, columns);
                for (int o = 0; o < rows; o++) q6k.DequantizeRow(o, dequantized.AsSpan(o * columns, columns));
                return new Quantized(b => b.PrepareQuantizedWeight("w", q6k), dequantized, q6k.ByteSize, WeightFormat.Q6K);
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "not a block format");
        }
    }

    private static Gen<(int Tokens, int Out, int In, int Seed)> Shapes(string format) =>
        from tokens in PropertyCoverage.Size(1, 9)
        from outFeatures in PropertyCoverage.Size(1, 40)
        from steps in PropertyCoverage.Size(1, MaxSteps(format))
        from seed in Gen.Choose(0, int.MaxValue)
        select (tokens, outFeatures, steps * KStep(format), seed);

    [Theory]
    [MemberData(nameof(Formats))]
    public void Dequantized_rows_are_the_scalar_references_bits(string format)
    {
        // The embedding gathers rows through the same in-register dequantization the matmul reads: all rows, every value.
        var backend = fixture.Require();
        var seen = PropertyCoverage.Check(Shapes(format), Cases, s =>
        {
            var q = Quantize(format, TestArrays.Uniform(s.Seed, s.Out * s.In, 2f), s.Out, s.In);
            using var weight = q.Prepare(backend);
            Assert.Equal(q.Format, weight.Format);
            int[] tokens = Enumerable.Range(0, s.Out).Reverse().ToArray();
            using var rows = backend.Allocate(s.Out, s.In);
            backend.Embed(weight, tokens, rows);
            var actual = new float[s.Out * s.In];
            backend.Download(rows, actual);
            float[] expected = tokens.SelectMany(t => q.Dequantized.AsSpan(t * s.In, s.In).ToArray()).ToArray();
            for (int i = 0; i < expected.Length; i++)
                if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                    Assert.Fail($"{format} [{i / s.In}, {i % s.In}] of [{s.Out}, {s.In}]: reference {expected[i]:R}, kernel {actual[i]:R}");
        });
        PropertyCoverage.AssertReaches(seen.Select(s => s.In), KStep(format), MaxSteps(format) * KStep(format), $"{format} K");
        PropertyCoverage.AssertReaches(seen.Select(s => s.Out), 1, 40, $"{format} rows");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void MatMul_is_the_f32_matmul_of_the_dequantized_weight(string format)
    {
        // Bound: float32 sums of K products in another order differ by at most about K·2⁻²⁴·Σ|x·w|; stated as 1e-5·Σ|x·w|
        // (K ≤ 768 here gives 4.6e-5 as the worst-case ceiling, the measured ratio is printed).
        var backend = fixture.Require();
        double worstRatio = 0;
        float worst = 0;
        var seen = PropertyCoverage.Check(Shapes(format), Cases, s =>
        {
            var q = Quantize(format, TestArrays.Uniform(s.Seed, s.Out * s.In, 2f), s.Out, s.In);
            float[] x = TestArrays.Uniform(s.Seed + 1, s.Tokens * s.In);
            var expected = new float[s.Tokens * s.Out];
            MatMulF32.Reference(x, s.Tokens, q.Dequantized, s.In, s.Out, expected);
            using var weight = q.Prepare(backend);
            using var input = backend.Upload(x, s.Tokens, s.In);
            using var y = backend.Allocate(s.Tokens, s.Out);
            backend.MatMul(input, [weight], [y]);
            var actual = new float[expected.Length];
            backend.Download(y, actual);
            for (int t = 0; t < s.Tokens; t++)
                for (int o = 0; o < s.Out; o++)
                {
                    double magnitude = 0;
                    for (int k = 0; k < s.In; k++) magnitude += Math.Abs(x[t * s.In + k] * q.Dequantized[o * s.In + k]);
                    double diff = Math.Abs(actual[t * s.Out + o] - expected[t * s.Out + o]);
                    Assert.True(diff <= 1e-6 + 1e-5 * magnitude, $"{format} y[{t}, {o}] (K {s.In}): kernel {actual[t * s.Out + o]}, reference {expected[t * s.Out + o]}, Σ|x·w| {magnitude}");
                    lock (output)
                    {
                        worst = MathF.Max(worst, (float)diff);
                        if (magnitude > 0) worstRatio = Math.Max(worstRatio, diff / magnitude);
                    }
                }
        });
        PropertyCoverage.AssertReaches(seen.Select(s => s.Tokens), 1, 9, $"{format} tokens");
        PropertyCoverage.AssertReaches(seen.Select(s => s.In), KStep(format), MaxSteps(format) * KStep(format), $"{format} K");
        output.WriteLine($"{fixture.Name} {format} matmul vs f32 reference of the dequantized weight: max |Δ| {worst:E3}, max |Δ|/Σ|x·w| {worstRatio:E3}");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void The_device_holds_the_blocks_not_an_int8_or_float_copy(string format)
    {
        var backend = fixture.Require();
        const int rows = 8, columns = 512;
        var q = Quantize(format, TestArrays.Uniform(3, rows * columns), rows, columns);
        using var weight = q.Prepare(backend);
        Assert.IsAssignableFrom<IlgpuBlockWeight>(weight);
        long int8Bytes = rows * columns + rows * (columns / 32) * sizeof(float), floatBytes = 4L * rows * columns;
        output.WriteLine($"{format} [{rows}, {columns}] on the device: {weight.ByteSize} bytes (int8 {int8Bytes}, float32 {floatBytes})");
        Assert.Equal(q.BlockBytes, weight.ByteSize);
        Assert.True(weight.ByteSize < int8Bytes, $"{format}: {weight.ByteSize} bytes, not fewer than int8's {int8Bytes}");
        Assert.True(weight.ByteSize * 4 < floatBytes, $"{format}: {weight.ByteSize} bytes, not under a quarter of float32's {floatBytes}");
    }

    [Fact]
    public void Requested_block_formats_are_held_in_their_blocks()
    {
        // PrepareWeight quantizes a float matrix to the requested format and keeps it as such, as the CPU backend does;
        // Q4_K_M asked of one matrix is Q4_K, and a K that fits no super-block falls back as llama.cpp's mix does.
        var backend = fixture.Require();
        var matrix = HostTensor.FromFloats("m", TestArrays.Uniform(9, 4 * 256), 4, 256);
        using var q4 = backend.PrepareWeight(matrix, WeightFormat.Q4);
        using var q4k = backend.PrepareWeight(matrix, WeightFormat.Q4K);
        using var q6k = backend.PrepareWeight(matrix, WeightFormat.Q6K);
        using var q4km = backend.PrepareWeight(matrix, WeightFormat.Q4KM);
        Assert.IsType<IlgpuQ4Weight>(q4);
        Assert.IsType<IlgpuQ4KWeight>(q4k);
        Assert.IsType<IlgpuQ6KWeight>(q6k);
        Assert.IsType<IlgpuQ4KWeight>(q4km);
        using var narrow = backend.PrepareWeight(HostTensor.FromFloats("n", TestArrays.Uniform(9, 4 * 64), 4, 64), WeightFormat.Q4K);
        Assert.IsNotAssignableFrom<IlgpuBlockWeight>(narrow);
    }
}

[Collection(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuBlockQuantTests(IlgpuCpuFixture fixture, ITestOutputHelper output) : BlockQuantTests(fixture, output);

[Collection(nameof(OpenClCollection))]
public sealed class OpenClBlockQuantTests(OpenClFixture fixture, ITestOutputHelper output) : BlockQuantTests(fixture, output);
