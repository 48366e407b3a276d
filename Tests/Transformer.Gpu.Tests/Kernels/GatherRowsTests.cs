using FsCheck;
using FsCheck.Fluent;
using Transformer.Gpu.Tests.Fixtures;
using Transformer.Gpu.Tests.Support;
using Transformer.Tests.Shared;

namespace Transformer.Gpu.Tests.Kernels;

/// <summary>GatherRows copies exactly the step's logit rows, in their order.</summary>
public abstract class GatherRowsTests(AcceleratorFixture fixture)
{
    [Fact]
    public void GatherCopiesTheLogitRowsInOrder()
    {
        var backend = fixture.Require();
        var cases = from rows in Gen.Choose(1, 20)
                    from columns in Gen.Choose(1, 70)
                    from wanted in Gen.Elements(false, true).ArrayOf(rows)
                    from seed in Gen.Choose(0, int.MaxValue)
                    select (rows, columns, wanted, seed);
        Properties.Check(cases, s =>
        {
            // At least one row is wanted, as in a real step.
            s.wanted[s.seed % s.rows] = true;
            var step = Steps.AtPositions(Enumerable.Range(0, s.rows).ToArray());
            Steps.Refill(step, Enumerable.Range(0, s.rows).ToArray(), s.wanted);
            float[] values = TestArrays.Uniform(s.seed, s.rows * s.columns);
            using var source = backend.Upload(values, s.rows, s.columns);
            using var destination = backend.Allocate(step.LogitRowCount, s.columns);
            backend.GatherRows(source, step, destination);
            var actual = new float[step.LogitRowCount * s.columns];
            backend.Download(destination, actual);
            var expected = step.LogitRows.ToArray().SelectMany(r => values.AsSpan(r * s.columns, s.columns).ToArray()).ToArray();
            Assert.Equal(expected, actual);
        });
    }

    [Fact]
    public void GatherRejectsADestinationOfTheWrongShape()
    {
        var backend = fixture.Require();
        var step = Steps.AtPositions([0, 1, 2]);
        using var source = backend.Allocate(3, 4);
        using var destination = backend.Allocate(2, 4);
        var error = Assert.Throws<ArgumentException>(() => backend.GatherRows(source, step, destination));
        Assert.Contains("gathering 3 rows of 4 into [2, 4]", error.Message);
    }
}

[Collection(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuGatherRowsTests(IlgpuCpuFixture fixture) : GatherRowsTests(fixture);

[Collection(nameof(OpenClCollection))]
public sealed class OpenClGatherRowsTests(OpenClFixture fixture) : GatherRowsTests(fixture);
