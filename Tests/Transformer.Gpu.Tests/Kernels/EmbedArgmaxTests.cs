using System.Numerics.Tensors;
using FsCheck;
using FsCheck.Fluent;
using Transformer.Gpu.Tests.Fixtures;
using Transformer.Gpu.Tests.Support;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Tensors;

namespace Transformer.Gpu.Tests.Kernels;

/// <summary>Embedding gather, device argmax, and host↔device copies.</summary>
public abstract class EmbedArgmaxTests(AcceleratorFixture fixture)
{
    [Fact]
    public void EmbedGathersTheTokensRows()
    {
        var backend = fixture.Require();
        var cases = from vocab in Gen.Choose(1, 40)
                    from columns in Gen.Choose(1, 64)
                    from count in Gen.Choose(1, 12)
                    from seed in Gen.Choose(0, int.MaxValue)
                    select (vocab, columns, count, seed);
        Properties.Check(cases, s =>
        {
            float[] table = TestArrays.Uniform(s.seed, s.vocab * s.columns);
            var random = new Random(s.seed);
            int[] tokens = Enumerable.Range(0, s.count).Select(_ => random.Next(s.vocab)).ToArray();
            using var weights = backend.PrepareWeight(HostTensor.FromFloats("embed", table, s.vocab, s.columns), WeightFormat.F32);
            using var output = backend.Allocate(s.count, s.columns);
            backend.Embed(weights, tokens, output);
            var actual = new float[s.count * s.columns];
            backend.Download(output, actual);
            var expected = tokens.SelectMany(t => table.AsSpan(t * s.columns, s.columns).ToArray()).ToArray();
            Assert.Equal(expected, actual);
        });
    }

    [Fact]
    public void EmbedRejectsATokenOutsideTheTable()
    {
        var backend = fixture.Require();
        using var weights = backend.PrepareWeight(HostTensor.FromFloats("embed", new float[6], 3, 2), WeightFormat.F32);
        using var output = backend.Allocate(1, 2);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => backend.Embed(weights, [3], output));
        Assert.Contains("token id 3", error.Message);
    }

    [Fact]
    public void ArgmaxMatchesTheHostIncludingTiesToTheLowestIndex()
    {
        var backend = fixture.Require();
        // Values drawn from a handful of levels, so ties are common.
        var cases = from length in Gen.Choose(1, 300)
                    from levels in Gen.Choose(1, 6)
                    from seed in Gen.Choose(0, int.MaxValue)
                    select (length, levels, seed);
        Properties.Check(cases, s =>
        {
            var random = new Random(s.seed);
            float[] row = Enumerable.Range(0, s.length).Select(_ => (float)random.Next(s.levels) - 2.5f).ToArray();
            using var tensor = backend.Upload(row, 1, s.length);
            Assert.Equal(TensorPrimitives.IndexOfMax<float>(row), backend.Argmax(tensor));
        });
    }

    [Fact]
    public void UploadDownloadAndRowSlicesRoundTrip()
    {
        var backend = fixture.Require();
        float[] values = TestArrays.Uniform(3, 5 * 7);
        using var tensor = backend.Upload(values, 5, 7);
        var slice = tensor.SliceRows(2, 2);
        var middle = new float[14];
        backend.Download(slice, middle);
        Assert.Equal(values.AsSpan(14, 14).ToArray(), middle);
        var all = new float[35];
        backend.Download(tensor, all);
        Assert.Equal(values, all);
    }
}

[Collection(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuEmbedArgmaxTests(IlgpuCpuFixture fixture) : EmbedArgmaxTests(fixture);

[Collection(nameof(OpenClCollection))]
public sealed class OpenClEmbedArgmaxTests(OpenClFixture fixture) : EmbedArgmaxTests(fixture);
