using FsCheck;
using FsCheck.Fluent;
using Transformer.Gpu.Tests.Fixtures;
using Transformer.Gpu.Tests.Support;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu.Ops;
using Transformer.Kernels.Tensors;

namespace Transformer.Gpu.Tests.Kernels;

/// <summary>
/// The matmul kernel (one for every row count) against MatMulF32.Reference, and its batch invariance:
/// a row's output is the same bits whether it is multiplied alone or among other rows, at any place.
/// </summary>
public abstract class MatMulTests(AcceleratorFixture fixture)
{
    private static Gen<(int Tokens, int In, int Out, int Seed)> Shapes(int minTokens, int maxTokens) =>
        from tokens in Gen.Choose(minTokens, maxTokens)
        from inFeatures in Gen.Choose(1, 64)
        from outFeatures in Gen.Choose(1, 64)
        from seed in Gen.Choose(0, int.MaxValue)
        select (tokens, inFeatures, outFeatures, seed);

    [Fact]
    public void OneRowMatchesReference()
    {
        var backend = fixture.Require();
        Properties.Check(Shapes(1, 1), s => CheckMatMul(backend, s));
    }

    [Fact]
    public void ManyRowsMatchReference()
    {
        var backend = fixture.Require();
        Properties.Check(Shapes(2, 40), s => CheckMatMul(backend, s));
    }

    [Theory]
    [InlineData(WeightFormat.F32)]
    [InlineData(WeightFormat.Q8)]
    public void ARowGivesTheSameBitsAloneAndAmongOtherRows(WeightFormat format)
    {
        var backend = fixture.Require();
        var cases = from rows in Gen.Choose(2, 24)
                    from blocks in Gen.Choose(1, 5)
                    from outFeatures in Gen.Choose(1, 40)
                    from seed in Gen.Choose(0, int.MaxValue)
                    select (rows, blocks * 32, outFeatures, seed);
        Properties.Check(cases, s =>
        {
            var (rows, inFeatures, outFeatures, seed) = s;
            float[] x = TestArrays.Uniform(seed, rows * inFeatures, 3f);
            using var weight = backend.PrepareWeight(HostTensor.FromFloats("w", TestArrays.Uniform(seed + 1, outFeatures * inFeatures), outFeatures, inFeatures), format);
            Assert.Equal(format, weight.Format);
            float[] all = Multiply(backend, x, rows, weight);
            // Every row alone, and a window of rows starting at an offset (so a row changes its place within a group of rows).
            var random = new Random(seed);
            int start = random.Next(rows), count = random.Next(1, rows - start + 1);
            for (int r = 0; r < rows; r++)
                Assert.Equal(Bits(all.AsSpan(r * outFeatures, outFeatures)), Bits(Multiply(backend, x.AsSpan(r * inFeatures, inFeatures).ToArray(), 1, weight)));
            Assert.Equal(Bits(all.AsSpan(start * outFeatures, count * outFeatures)),
                Bits(Multiply(backend, x.AsSpan(start * inFeatures, count * inFeatures).ToArray(), count, weight)));
        }, cases: 10);
    }

    [Fact]
    public void SeveralWeightsInOneCallEachMatchTheReference()
    {
        var backend = fixture.Require();
        Properties.Check(Shapes(1, 5), s =>
        {
            float[] x = TestArrays.Uniform(s.Seed, s.Tokens * s.In);
            float[] w1 = TestArrays.Uniform(s.Seed + 1, s.Out * s.In), w2 = TestArrays.Uniform(s.Seed + 2, 3 * s.In);
            using var input = backend.Upload(x, s.Tokens, s.In);
            using var first = backend.PrepareWeight(HostTensor.FromFloats("w1", w1, s.Out, s.In), WeightFormat.F32);
            using var second = backend.PrepareWeight(HostTensor.FromFloats("w2", w2, 3, s.In), WeightFormat.F32);
            using var y1 = backend.Allocate(s.Tokens, s.Out);
            using var y2 = backend.Allocate(s.Tokens, 3);
            backend.MatMul(input, [first, second], [y1, y2]);
            AssertMatches(backend, x, s.Tokens, w1, s.In, s.Out, y1);
            AssertMatches(backend, x, s.Tokens, w2, s.In, 3, y2);
        }, cases: 10);
    }

    [Fact]
    public void HalfPrecisionWeightsAreWidenedOnUpload()
    {
        var backend = fixture.Require();
        float[] values = TestArrays.Uniform(7, 5 * 9);
        var halves = values.Select(v => (Half)v).ToArray();
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(halves.AsSpan()).ToArray();
        using var weight = backend.PrepareWeight(new HostTensor("w", DType.F16, [5, 9], bytes), WeightFormat.F32);
        float[] x = TestArrays.Uniform(8, 9);
        using var input = backend.Upload(x, 1, 9);
        using var y = backend.Allocate(1, 5);
        backend.MatMul(input, [weight], [y]);
        AssertMatches(backend, x, 1, halves.Select(h => (float)h).ToArray(), 9, 5, y);
    }

    private static float[] Multiply(Transformer.Kernels.Gpu.IlgpuBackend backend, float[] x, int rows, DeviceWeight weight)
    {
        using var input = backend.Upload(x, rows, weight.InFeatures);
        using var y = backend.Allocate(rows, weight.OutFeatures);
        backend.MatMul(input, [weight], [y]);
        var result = new float[rows * weight.OutFeatures];
        backend.Download(y, result);
        return result;
    }

    private static int[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new int[values.Length];
        for (int i = 0; i < values.Length; i++) bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        return bits;
    }

    private static void CheckMatMul(Transformer.Kernels.Gpu.IlgpuBackend backend, (int Tokens, int In, int Out, int Seed) s)
    {
        float[] x = TestArrays.Uniform(s.Seed, s.Tokens * s.In), w = TestArrays.Uniform(s.Seed + 1, s.Out * s.In);
        using var input = backend.Upload(x, s.Tokens, s.In);
        using var weight = backend.PrepareWeight(HostTensor.FromFloats("w", w, s.Out, s.In), WeightFormat.F32);
        using var y = backend.Allocate(s.Tokens, s.Out);
        backend.MatMul(input, [weight], [y]);
        AssertMatches(backend, x, s.Tokens, w, s.In, s.Out, y);
    }

    private static void AssertMatches(Transformer.Kernels.Gpu.IlgpuBackend backend, float[] x, int tokens, float[] w, int inFeatures, int outFeatures, DeviceTensor y)
    {
        var expected = new float[tokens * outFeatures];
        MatMulF32.Reference(x, tokens, w, inFeatures, outFeatures, expected);
        var actual = new float[expected.Length];
        backend.Download(y, actual);
        Close.All(expected, actual, absolute: 1e-5f * inFeatures, what: "matmul");
    }
}

[Collection(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuMatMulTests(IlgpuCpuFixture fixture) : MatMulTests(fixture);

[Collection(nameof(OpenClCollection))]
public sealed class OpenClMatMulTests(OpenClFixture fixture) : MatMulTests(fixture);
