using FsCheck;
using FsCheck.Fluent;
using Transformer.Gpu.Tests.Fixtures;
using Transformer.Gpu.Tests.Support;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu.Ops;

namespace Transformer.Gpu.Tests.Kernels;

/// <summary>
/// RoPE in both pairing conventions, each row at its own position (rows of a step need not be
/// consecutive), against the CPU's scalar Rope.Apply on the same cos/sin table.
/// </summary>
public abstract class RopeTests(AcceleratorFixture fixture)
{
    private const int MaxPositions = 48;

    private static readonly Gen<(int[] Positions, int Heads, int HeadDim, RopeStyle Style, int Seed)> Cases =
        from rows in Gen.Choose(1, 6)
        from positions in Gen.Choose(0, MaxPositions - 1).ArrayOf(rows)
        from heads in Gen.Choose(1, 4)
        from halfDim in Gen.Choose(1, 16)
        from style in Gen.Elements(RopeStyle.RotateHalf, RopeStyle.InterleavedPairs)
        from seed in Gen.Choose(0, int.MaxValue)
        select (positions, heads, 2 * halfDim, style, seed);

    [Fact]
    public void RopeMatchesScalarRotationInBothStyles()
    {
        var backend = fixture.Require();
        Properties.Check(Cases, s =>
        {
            var step = Steps.AtPositions(s.Positions);
            Assert.Equal(Expected(s.Positions, s.Heads, s.HeadDim, s.Style, s.Seed), Rotate(backend, step, s.Heads, s.HeadDim, s.Style, s.Seed),
                new Close.Comparer());
        });
    }

    [Fact]
    public void PartialRopeWithAnAttentionFactorMatchesTheCpu()
    {
        // Phi-3: 3 of 8 pairs rotate (the rest of each head passes through), cos/sin scaled by LongRoPE's factor.
        var backend = fixture.Require();
        foreach (var style in new[] { RopeStyle.RotateHalf, RopeStyle.InterleavedPairs })
        {
            const int heads = 3, headDim = 16, pairs = 3;
            int[] positions = [0, 7, 31, 2];
            var step = Steps.AtPositions(positions);
            float[] inverse = Frequencies(2 * pairs);
            var (cos, sin) = RopeTable.ComputeHost(inverse, MaxPositions, 1.3f);
            float[] expected = Transformer.Tests.Shared.TestArrays.Uniform(5, positions.Length * heads * headDim);
            float[] actual = expected.ToArray();
            for (int t = 0; t < positions.Length; t++)
                Rope.Apply(expected.AsSpan(t * heads * headDim, heads * headDim), headDim, cos.AsSpan(positions[t] * pairs, pairs), sin.AsSpan(positions[t] * pairs, pairs), style);

            using var table = backend.CreateRope(inverse, MaxPositions, style, 1.3f);
            using var tensor = backend.Upload(actual, step.Rows, heads * headDim);
            backend.ApplyRope(tensor, headDim, step, table);
            backend.Download(tensor, actual);
            Assert.Equal(expected, actual, new Close.Comparer());
        }
    }

    [Fact]
    public void ALayoutRebuiltInPlaceIsUploadedAgain()
    {
        // Sequence reuses one StepLayout for every step: a stale device copy would rotate by old positions.
        var backend = fixture.Require();
        var step = Steps.AtPositions([3, 4, 5]);
        Rotate(backend, step, 2, 8, RopeStyle.RotateHalf, 1);
        Steps.Refill(step, [17, 30, 9]);
        Assert.Equal(Expected([17, 30, 9], 2, 8, RopeStyle.RotateHalf, 1), Rotate(backend, step, 2, 8, RopeStyle.RotateHalf, 1), new Close.Comparer());
    }

    [Fact]
    public void TwoLayoutsWithTheSameVersionAreNotConfused()
    {
        var backend = fixture.Require();
        var first = Steps.AtPositions([1, 2]);
        var second = Steps.AtPositions([20, 40]);
        Assert.Equal(first.Version, second.Version);
        Rotate(backend, first, 1, 4, RopeStyle.InterleavedPairs, 2);
        Assert.Equal(Expected([20, 40], 1, 4, RopeStyle.InterleavedPairs, 2), Rotate(backend, second, 1, 4, RopeStyle.InterleavedPairs, 2), new Close.Comparer());
    }

    [Fact]
    public void APositionBeyondTheTableIsRejected()
    {
        var backend = fixture.Require();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Rotate(backend, Steps.AtPositions([2, MaxPositions]), 1, 4, RopeStyle.RotateHalf, 3));
        Assert.Contains($"position {MaxPositions} is beyond the rope table's {MaxPositions}", error.Message);
    }

    private static float[] Frequencies(int headDim) =>
        Enumerable.Range(0, headDim / 2).Select(i => 1f / MathF.Pow(10000f, 2f * i / headDim)).ToArray();

    private static float[] Expected(int[] positions, int heads, int headDim, RopeStyle style, int seed)
    {
        int columns = heads * headDim, pairs = headDim / 2;
        var (cos, sin) = RopeTable.ComputeHost(Frequencies(headDim), MaxPositions);
        float[] x = Transformer.Tests.Shared.TestArrays.Uniform(seed, positions.Length * columns);
        for (int t = 0; t < positions.Length; t++)
        {
            int p = positions[t];
            Rope.Apply(x.AsSpan(t * columns, columns), headDim, cos.AsSpan(p * pairs, pairs), sin.AsSpan(p * pairs, pairs), style);
        }
        return x;
    }

    private static float[] Rotate(IBackend backend, StepLayout step, int heads, int headDim, RopeStyle style, int seed)
    {
        int columns = heads * headDim;
        float[] x = Transformer.Tests.Shared.TestArrays.Uniform(seed, step.Rows * columns);
        using var table = backend.CreateRope(Frequencies(headDim), MaxPositions, style);
        using var tensor = backend.Upload(x, step.Rows, columns);
        backend.ApplyRope(tensor, headDim, step, table);
        backend.Download(tensor, x);
        return x;
    }
}

[Collection(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuRopeTests(IlgpuCpuFixture fixture) : RopeTests(fixture);

[Collection(nameof(OpenClCollection))]
public sealed class OpenClRopeTests(OpenClFixture fixture) : RopeTests(fixture);
