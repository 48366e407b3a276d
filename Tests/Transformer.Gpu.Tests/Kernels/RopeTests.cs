using FsCheck;
using FsCheck.Fluent;
using Transformer.Gpu.Tests.Fixtures;
using Transformer.Gpu.Tests.Support;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu.Ops;

namespace Transformer.Gpu.Tests.Kernels;

/// <summary>RoPE in both pairing conventions against the CPU's scalar Rope.Apply on the same cos/sin table.</summary>
public abstract class RopeTests(AcceleratorFixture fixture)
{
    private static readonly Gen<(int Rows, int Heads, int HeadDim, int Start, RopeStyle Style, int Seed)> Cases =
        from rows in Gen.Choose(1, 6)
        from heads in Gen.Choose(1, 4)
        from halfDim in Gen.Choose(1, 16)
        from start in Gen.Choose(0, 20)
        from style in Gen.Elements(RopeStyle.RotateHalf, RopeStyle.InterleavedPairs)
        from seed in Gen.Choose(0, int.MaxValue)
        select (rows, heads, 2 * halfDim, start, style, seed);

    [Fact]
    public void RopeMatchesScalarRotationInBothStyles()
    {
        var backend = fixture.Require();
        Properties.Check(Cases, s =>
        {
            int columns = s.Heads * s.HeadDim, pairs = s.HeadDim / 2, maxPositions = s.Start + s.Rows;
            var frequencies = Enumerable.Range(0, pairs).Select(i => 1f / MathF.Pow(10000f, 2f * i / s.HeadDim)).ToArray();
            var (cos, sin) = RopeTable.ComputeHost(frequencies, maxPositions);
            float[] x = TestArrays.Uniform(s.Seed, s.Rows * columns);
            var expected = (float[])x.Clone();
            for (int t = 0; t < s.Rows; t++)
            {
                int p = s.Start + t;
                Rope.Apply(expected.AsSpan(t * columns, columns), s.HeadDim, cos.AsSpan(p * pairs, pairs), sin.AsSpan(p * pairs, pairs), s.Style);
            }
            using var table = backend.CreateRope(frequencies, maxPositions, s.Style);
            using var tensor = backend.Upload(x, s.Rows, columns);
            backend.ApplyRope(tensor, s.HeadDim, s.Start, table);
            var actual = new float[x.Length];
            backend.Download(tensor, actual);
            Close.All(expected, actual, what: $"rope {s.Style}");
        });
    }
}

[Collection(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuRopeTests(IlgpuCpuFixture fixture) : RopeTests(fixture);

[Collection(nameof(OpenClCollection))]
public sealed class OpenClRopeTests(OpenClFixture fixture) : RopeTests(fixture);
