using FsCheck;
using FsCheck.Fluent;
using Transformer.Gpu.Tests.Fixtures;
using Transformer.Gpu.Tests.Support;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu.Ops;
using Transformer.Kernels.Gpu;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Tensors;

namespace Transformer.Gpu.Tests.Kernels;

/// <summary>
/// Q8 matmul and embedding, dequantized in-kernel, against the CPU side: exactly the f32 matmul of
/// the dequantized matrix (Q8Weight.Dequantize), and the CPU int8 reference (which also quantizes the
/// activations) within the error that activation quantization allows.
/// </summary>
public abstract class Q8Tests(AcceleratorFixture fixture)
{
    private static readonly Gen<(int Tokens, int In, int Out, int Seed)> Shapes =
        from tokens in Gen.Choose(1, 12)
        from blocks in Gen.Choose(1, 2)
        from outFeatures in Gen.Choose(1, 48)
        from seed in Gen.Choose(0, int.MaxValue)
        select (tokens, blocks * Q8Format.BlockSize, outFeatures, seed);

    [Fact]
    public void Q8MatMulEqualsF32MatMulOfTheDequantizedWeight()
    {
        var backend = fixture.Require();
        Properties.Check(Shapes, s =>
        {
            var (x, quantized, actual) = Run(backend, s);
            var dequantized = new float[s.Out * s.In];
            quantized.Dequantize(dequantized);
            var expected = new float[s.Tokens * s.Out];
            MatMulF32.Reference(x, s.Tokens, dequantized, s.In, s.Out, expected);
            Close.All(expected, actual, absolute: 1e-5f * s.In, what: "q8 matmul");
        });
    }

    [Fact]
    public void Q8MatMulAgreesWithTheCpuInt8ReferenceWithinActivationQuantizationError()
    {
        var backend = fixture.Require();
        Properties.Check(Shapes, s =>
        {
            var (x, quantized, actual) = Run(backend, s);
            var activations = new Q8Activations(s.In, s.Tokens);
            activations.Quantize(x, s.Tokens);
            var cpu = new float[s.Tokens * s.Out];
            Q8Reference.ComputeRows(activations, quantized, cpu, 0, s.Out);

            // |x − sx·qx| ≤ sx/2 per element, so the two differ by at most Σ_b sw·sx/2·Σ_i |qw| (plus float rounding).
            int blocks = s.In / Q8Format.BlockSize;
            for (int t = 0; t < s.Tokens; t++)
                for (int o = 0; o < s.Out; o++)
                {
                    double bound = 1e-4;
                    for (int b = 0; b < blocks; b++)
                    {
                        double magnitude = 0;
                        for (int i = 0; i < Q8Format.BlockSize; i++) magnitude += Math.Abs(quantized.Values[o * s.In + b * Q8Format.BlockSize + i]);
                        bound += quantized.Scales[o * blocks + b] * activations.Scales[t * blocks + b] / 2 * magnitude;
                    }
                    double diff = Math.Abs(actual[t * s.Out + o] - cpu[t * s.Out + o]);
                    Assert.True(diff <= bound, $"y[{t}, {o}]: GPU {actual[t * s.Out + o]}, CPU int8 {cpu[t * s.Out + o]}, |diff| {diff} > bound {bound}");
                }
        });
    }

    [Fact]
    public void Q8EmbeddingGathersDequantizedRows()
    {
        var backend = fixture.Require();
        float[] table = TestArrays.Uniform(5, 10 * 64);
        var quantized = Q8Weight.Quantize(table, 10, 64);
        using var weight = backend.PrepareQuantizedWeight("embed", quantized);
        Assert.Equal(WeightFormat.Q8, weight.Format);
        int[] tokens = [3, 0, 9, 3];
        using var output = backend.Allocate(tokens.Length, 64);
        backend.Embed(weight, tokens, output);
        var actual = new float[tokens.Length * 64];
        backend.Download(output, actual);
        var dequantized = new float[10 * 64];
        quantized.Dequantize(dequantized);
        Assert.Equal(tokens.SelectMany(t => dequantized.AsSpan(t * 64, 64).ToArray()).ToArray(), actual);
    }

    [Fact]
    public void AMatrixWhoseKIsNotWholeBlocksStaysF32()
    {
        var backend = fixture.Require();
        using var weight = backend.PrepareWeight(HostTensor.FromFloats("w", TestArrays.Uniform(1, 4 * 40), 4, 40), WeightFormat.Q8);
        Assert.Equal(WeightFormat.F32, weight.Format);
        using var quantized = backend.PrepareWeight(HostTensor.FromFloats("w", TestArrays.Uniform(1, 4 * 64), 4, 64), WeightFormat.Q8);
        Assert.Equal(WeightFormat.Q8, quantized.Format);
        Assert.Equal(4 * 64 + 4 * 2 * sizeof(float), quantized.ByteSize);
    }

    private static (float[] X, Q8Weight Quantized, float[] Actual) Run(IlgpuBackend backend, (int Tokens, int In, int Out, int Seed) s)
    {
        float[] x = TestArrays.Uniform(s.Seed, s.Tokens * s.In), w = TestArrays.Uniform(s.Seed + 1, s.Out * s.In);
        var quantized = Q8Weight.Quantize(w, s.Out, s.In);
        using var input = backend.Upload(x, s.Tokens, s.In);
        using var weight = backend.PrepareWeight(HostTensor.FromFloats("w", w, s.Out, s.In), WeightFormat.Q8);
        Assert.Equal(WeightFormat.Q8, weight.Format);
        using var y = backend.Allocate(s.Tokens, s.Out);
        backend.MatMul(input, [weight], [y]);
        var actual = new float[s.Tokens * s.Out];
        backend.Download(y, actual);
        return (x, quantized, actual);
    }
}

[Collection(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuQ8Tests(IlgpuCpuFixture fixture) : Q8Tests(fixture);

[Collection(nameof(OpenClCollection))]
public sealed class OpenClQ8Tests(OpenClFixture fixture) : Q8Tests(fixture);
