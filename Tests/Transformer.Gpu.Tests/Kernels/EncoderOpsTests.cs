using FsCheck;
using FsCheck.Fluent;
using Transformer.Gpu.Tests.Fixtures;
using Transformer.Gpu.Tests.Support;
using Transformer.Kernels.Cpu.Ops;

namespace Transformer.Gpu.Tests.Kernels;

/// <summary>
/// The encoder ops (BERT, nomic-bert): LayerNorm, the exact GELU and bidirectional attention over packed sequences,
/// against the CPU scalar references, over sizes the properties check they reach.
/// </summary>
public abstract class EncoderOpsTests(AcceleratorFixture fixture, ITestOutputHelper output)
{
    private const int Cases = 60;

    [Fact]
    public void LayerNormMatchesReference()
    {
        // Columns past a few group widths (the kernel tests' groups are 16 threads) and one-column rows; in place half the time.
        var backend = fixture.Require();
        var shapes = from rows in PropertyCoverage.Size(1, 5)
                     from columns in PropertyCoverage.Size(1, 300)
                     from inPlace in Gen.Elements(false, true)
                     from seed in Gen.Choose(0, int.MaxValue)
                     select (Rows: rows, Columns: columns, InPlace: inPlace, Seed: seed);
        float worst = 0;
        var seen = PropertyCoverage.Check(shapes, Cases, s =>
        {
            // An offset mean, so centring matters, and BERT's eps.
            float[] x = TestArrays.Uniform(s.Seed, s.Rows * s.Columns, 3f).Select(v => v + 5f).ToArray();
            float[] weight = TestArrays.Uniform(s.Seed + 1, s.Columns), bias = TestArrays.Uniform(s.Seed + 2, s.Columns);
            const float eps = 1e-12f;
            var expected = new float[x.Length];
            for (int t = 0; t < s.Rows; t++)
                LayerNorm.Reference(x.AsSpan(t * s.Columns, s.Columns), weight, bias, eps, expected.AsSpan(t * s.Columns, s.Columns));
            using var input = backend.Upload(x, s.Rows, s.Columns);
            using var w = backend.Upload(weight, 1, s.Columns);
            using var b = backend.Upload(bias, 1, s.Columns);
            using var separate = backend.Allocate(s.Rows, s.Columns);
            var y = s.InPlace ? input : separate;
            backend.LayerNorm(input, w, b, eps, y);
            var actual = new float[x.Length];
            backend.Download(y, actual);
            Close.All(expected, actual, what: "layernorm");
            lock (output) worst = MathF.Max(worst, Measure.MaxDifference(expected, actual));
        });
        PropertyCoverage.AssertReaches(seen.Select(s => s.Columns), 1, 300, "layernorm columns");
        PropertyCoverage.AssertReaches(seen.Select(s => s.Rows), 1, 5, "layernorm rows");
        output.WriteLine($"{fixture.Name} layernorm vs scalar reference: max |Δ| {worst:E3}");
    }

    [Fact]
    public void GeluMatchesReference()
    {
        // The reference computes erfc in double; the kernel's float erfc is within 1.5e-7 of it, so x·Φ(x) is within a few 1e-7·|x|.
        var backend = fixture.Require();
        var shapes = from length in PropertyCoverage.Size(1, 2000)
                     from scale in Gen.Elements(0.5f, 4f, 12f)
                     from seed in Gen.Choose(0, int.MaxValue)
                     select (Length: length, Scale: scale, Seed: seed);
        float worst = 0;
        var seen = PropertyCoverage.Check(shapes, Cases, s =>
        {
            float[] x = TestArrays.Uniform(s.Seed, s.Length, s.Scale);
            var expected = new float[x.Length];
            Gelu.Reference(x, expected);
            using var tensor = backend.Upload(x, 1, s.Length);
            backend.Gelu(tensor, tensor);
            var actual = new float[x.Length];
            backend.Download(tensor, actual);
            Close.All(expected, actual, absolute: 2e-6f, relative: 1e-5f, what: "gelu");
            lock (output) worst = MathF.Max(worst, Measure.MaxDifference(expected, actual));
        });
        PropertyCoverage.AssertReaches(seen.Select(s => s.Length), 1, 2000, "gelu length");
        output.WriteLine($"{fixture.Name} gelu vs scalar reference (double erfc): max |Δ| {worst:E3}");
    }

    [Fact]
    public void GeluKeepsItsLimits()
    {
        // gelu(0) = 0, gelu(x) → x far right, → 0 far left (no NaN from exp underflow), and odd-symmetric about x/2.
        var backend = fixture.Require();
        float[] x = [0f, 10f, -10f, 40f, -40f, 1f, -1f];
        using var tensor = backend.Upload(x, 1, x.Length);
        using var y = backend.Allocate(1, x.Length);
        backend.Gelu(tensor, y);
        var actual = new float[x.Length];
        backend.Download(y, actual);
        Assert.Equal(0f, actual[0]);
        Assert.Equal(10f, actual[1]);
        Assert.Equal(40f, actual[3]);
        Assert.InRange(actual[2], -1e-20f, 0f);
        Assert.Equal(0f, actual[4]);
        Assert.Equal(1f, actual[5] - actual[6], 1e-6f);
    }

    [Fact]
    public void BidirectionalAttentionMatchesReference()
    {
        // Up to three packed sequences of 1..130 rows (past two 64-position tiles), one or two heads of a few sizes
        // (the emulator runs every barrier of every 16-thread group, so more would cost minutes).
        var backend = fixture.Require();
        var shapes = from count in PropertyCoverage.Size(1, 3)
                     from lengths in PropertyCoverage.Size(1, 130).ArrayOf(count)
                     from heads in PropertyCoverage.Size(1, 2)
                     from headDim in Gen.Elements(1, 8, 32)
                     from seed in Gen.Choose(0, int.MaxValue)
                     select (Lengths: lengths, Heads: heads, HeadDim: headDim, Seed: seed);
        float worst = 0;
        var seen = PropertyCoverage.Check(shapes, Cases, s =>
        {
            int rows = s.Lengths.Sum(), columns = s.Heads * s.HeadDim;
            float[] q = TestArrays.Uniform(s.Seed, rows * columns, 2f), k = TestArrays.Uniform(s.Seed + 1, rows * columns, 2f),
                v = TestArrays.Uniform(s.Seed + 2, rows * columns);
            float[] expected = Reference(q, k, v, s.Lengths, columns, s.HeadDim);
            using var tq = backend.Upload(q, rows, columns);
            using var tk = backend.Upload(k, rows, columns);
            using var tv = backend.Upload(v, rows, columns);
            using var y = backend.Allocate(rows, columns);
            backend.BidirectionalAttention(tq, tk, tv, s.HeadDim, s.Lengths, y);
            var actual = new float[expected.Length];
            backend.Download(y, actual);
            Close.All(expected, actual, what: "bidirectional attention");
            lock (output) worst = MathF.Max(worst, Measure.MaxDifference(expected, actual));
        });
        PropertyCoverage.AssertReaches(seen.SelectMany(s => s.Lengths), 1, 130, "sequence length");
        PropertyCoverage.AssertReaches(seen.Select(s => s.Heads), 1, 2, "heads");
        PropertyCoverage.AssertReaches(seen.Select(s => s.Lengths.Length), 1, 3, "sequences");
        output.WriteLine($"{fixture.Name} bidirectional attention vs scalar reference: max |Δ| {worst:E3}");
    }

    [Fact]
    public void BadShapesAndLengthsAreRefusedByName()
    {
        var backend = fixture.Require();
        using var x = backend.Allocate(4, 8);
        using var other = backend.Allocate(3, 8);
        using var row = backend.Allocate(1, 8);
        using var shortRow = backend.Allocate(1, 7);
        Assert.Contains("a sequence of 0 rows", Assert.Throws<ArgumentException>(() => backend.BidirectionalAttention(x, x, x, 4, [4, 0], x)).Message);
        Assert.Contains("sequences of 5+ rows for a tensor of 4", Assert.Throws<ArgumentException>(() => backend.BidirectionalAttention(x, x, x, 4, [2, 3], x)).Message);
        Assert.Contains("sequences of 3 rows for a tensor of 4", Assert.Throws<ArgumentException>(() => backend.BidirectionalAttention(x, x, x, 4, [3], x)).Message);
        Assert.Contains("do not split into heads of 3", Assert.Throws<ArgumentException>(() => backend.BidirectionalAttention(x, x, x, 3, [4], x)).Message);
        Assert.Contains("k[3, 8]", Assert.Throws<ArgumentException>(() => backend.BidirectionalAttention(x, other, x, 4, [4], x)).Message);
        Assert.Contains("layernorm shapes", Assert.Throws<ArgumentException>(() => backend.LayerNorm(x, shortRow, row, 1e-5f, x)).Message);
        Assert.Contains("layernorm shapes", Assert.Throws<ArgumentException>(() => backend.LayerNorm(x, row, row, 1e-5f, other)).Message);
        Assert.Contains("gelu: 32 inputs for 24 outputs", Assert.Throws<ArgumentException>(() => backend.Gelu(x, other)).Message);
    }

    /// <summary>The CPU scalar reference for every (row, head): attention over the rows of the row's own sequence.</summary>
    private static float[] Reference(float[] q, float[] k, float[] v, int[] lengths, int columns, int headDim)
    {
        var expected = new float[q.Length];
        float scale = 1f / MathF.Sqrt(headDim);
        int start = 0;
        foreach (int length in lengths)
        {
            var scores = new float[length];
            var keys = k.AsSpan(start * columns, length * columns);
            var values = v.AsSpan(start * columns, length * columns);
            for (int r = start; r < start + length; r++)
                for (int offset = 0; offset < columns; offset += headDim)
                    BidirectionalAttention.Reference(q.AsSpan(r * columns + offset, headDim), keys, values, length, columns, offset, headDim, scale, scores,
                        expected.AsSpan(r * columns + offset, headDim));
            start += length;
        }
        return expected;
    }
}

[Collection(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuEncoderOpsTests(IlgpuCpuFixture fixture, ITestOutputHelper output) : EncoderOpsTests(fixture, output);

[Collection(nameof(OpenClCollection))]
public sealed class OpenClEncoderOpsTests(OpenClFixture fixture, ITestOutputHelper output) : EncoderOpsTests(fixture, output);
