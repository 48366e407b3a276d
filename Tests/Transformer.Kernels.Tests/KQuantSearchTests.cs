using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Quantized.Ggml;
using Xunit;

namespace Transformer.Kernels.Tests;

/// <summary>A group of values to quantize: its kind of distribution (see <see cref="Values"/>) and a seed.</summary>
public sealed record KQuantGroup(int Kind, int Length, int Seed)
{
    /// <summary>
    /// Kind 0: near-normal; 1: heavy-tailed (a few values 10–100× the rest, which makes stretched scales win); 2: all
    /// non-negative (the minimum clamps to 0); 3: one value repeated (max = min); 4: all zero; 5: tiny (around 1e-9).
    /// </summary>
    public float[] Values()
    {
        var random = new Random(Seed);
        var x = new float[Length];
        float repeated = random.NextSingle() - 0.5f;
        for (int i = 0; i < Length; i++)
        {
            float normal = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
            x[i] = Kind switch
            {
                0 => 0.02f * normal,
                1 => 0.02f * normal * (random.Next(8) == 0 ? 10 + 90 * random.NextSingle() : 1),
                2 => MathF.Abs(normal),
                3 => repeated,
                4 => 0f,
                _ => 1e-9f * normal,
            };
        }
        return x;
    }

    public override string ToString() => $"kind {Kind}, length {Length}, seed {Seed}";
}

/// <summary>
/// The lane-parallel scale searches (<see cref="GgmlKQuantLaneSearch"/>) give their scalar reference's
/// (<see cref="GgmlKQuantSearch"/>) codes and scales bit for bit, and a long span quantized in parallel ranges gives
/// the bytes of its rows quantized one by one on one thread.
/// </summary>
public class KQuantSearchTests
{
    private static readonly Gen<KQuantGroup> Groups =
        from kind in PropertyCoverage.Size(0, 5)
        from length in Gen.Elements(16, 32)
        from seed in Gen.Choose(int.MinValue, int.MaxValue)
        select new KQuantGroup(kind, length, seed);

    /// <summary>Q4_K's search (weights rms + |x|, 21 candidates), squared and absolute error, and a short search.</summary>
    [Fact]
    public void Make_qkx2_in_lanes_gives_the_references_codes_scale_and_minimum()
    {
        var seen = PropertyCoverage.Check(Groups, 300, g =>
        {
            float[] x = g.Values();
            float rms = MathF.Sqrt(x.Sum(v => v * v) / x.Length);
            float[] weights = [.. x.Select(v => rms + MathF.Abs(v))];
            foreach (var (nmax, rmin, rdelta, nstep, useMad) in new[] { (15, -1f, 0.1f, 20, false), (31, -0.5f, 0.1f, 15, true), (15, -1f, 0.1f, 5, false), (15, -1f, 0.1f, 0, false) })
            {
                var expectedCodes = new byte[x.Length];
                var actualCodes = new byte[x.Length];
                float expected = GgmlKQuantSearch.MakeQkx2(x, weights, nmax, expectedCodes, new byte[x.Length], rmin, rdelta, nstep, useMad, out float expectedMin);
                float actual = GgmlKQuantLaneSearch.MakeQkx2(x, weights, nmax, actualCodes, new byte[x.Length], rmin, rdelta, nstep, useMad, out float actualMin);
                Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual));
                Assert.Equal(BitConverter.SingleToInt32Bits(expectedMin), BitConverter.SingleToInt32Bits(actualMin));
                Assert.Equal(expectedCodes, actualCodes);
            }
        });
        PropertyCoverage.AssertReaches(seen.Select(g => g.Kind), 0, 5, "kinds");
    }

    /// <summary>Q6_K's search (nmax 32) and a narrower one.</summary>
    [Fact]
    public void Make_qx_in_lanes_gives_the_references_codes_and_scale()
    {
        var seen = PropertyCoverage.Check(Groups, 300, g =>
        {
            float[] x = g.Values();
            foreach (int nmax in new[] { 32, 4 })
            {
                var expectedCodes = new sbyte[x.Length];
                var actualCodes = new sbyte[x.Length];
                float expected = GgmlKQuantSearch.MakeQx(x, nmax, expectedCodes);
                float actual = GgmlKQuantLaneSearch.MakeQx(x, nmax, actualCodes);
                Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual));
                Assert.Equal(expectedCodes, actualCodes);
            }
        });
        PropertyCoverage.AssertReaches(seen.Select(g => g.Kind), 0, 5, "kinds");
    }

    /// <summary>The search's candidates actually win sometimes on these groups (else the speculation is never tested).</summary>
    [Fact]
    public void Stretched_candidates_win_on_heavy_tailed_groups()
    {
        int moved = 0;
        for (int seed = 0; seed < 50; seed++)
        {
            float[] x = new KQuantGroup(1, 32, seed).Values();
            float[] weights = [.. x.Select(MathF.Abs)];
            var codes = new byte[32];
            GgmlKQuantSearch.MakeQkx2(x, weights, 15, codes, new byte[32], -1f, 0.1f, 20, false, out float searched);
            GgmlKQuantSearch.MakeQkx2(x, weights, 15, codes, new byte[32], -1f, 0.1f, 0, false, out float initial);
            if (searched != initial) moved++;
        }
        Assert.True(moved >= 25, $"only {moved} of 50 searches moved the minimum");
    }

    public static TheoryData<string> Formats => ["Q4_K", "Q6_K"];

    /// <summary>
    /// 300 rows of 512 (600 super-blocks, split into ranges on the thread pool) against each row alone (2 super-blocks,
    /// too few to split).
    /// </summary>
    [Theory]
    [MemberData(nameof(Formats))]
    public void A_matrix_quantized_in_parallel_ranges_is_its_rows_quantized_one_by_one(string format)
    {
        var (quantize, blockBytes) = Format(format);
        const int rows = 300, columns = 512;
        float[] matrix = [.. Enumerable.Range(0, rows).SelectMany(r => new KQuantGroup(r % 3 == 0 ? 1 : 0, columns, r).Values())];
        int rowBytes = columns / 256 * blockBytes;
        var whole = new byte[rows * rowBytes];
        quantize(matrix, whole);
        var byRow = new byte[rows * rowBytes];
        for (int r = 0; r < rows; r++) quantize(matrix.AsSpan(r * columns, columns), byRow.AsSpan(r * rowBytes, rowBytes));
        int first = whole.AsSpan().CommonPrefixLength(byRow);
        Assert.True(first == whole.Length, $"{format}: the parallel bytes differ from the row-by-row ones first at byte {first} (row {first / rowBytes})");
    }

    /// <summary>A bad value deep in a long span is reported as the serial code reports it, not wrapped by the thread pool.</summary>
    [Theory]
    [MemberData(nameof(Formats))]
    public void A_non_finite_value_in_a_parallel_range_throws_the_argument_exception(string format)
    {
        var (quantize, blockBytes) = Format(format);
        var matrix = new float[600 * 256];
        matrix[450 * 256 + 7] = float.NaN;
        var error = Assert.Throws<ArgumentException>(() => quantize(matrix, new byte[600 * blockBytes]));
        Assert.Contains("NaN", error.Message);
    }

    private delegate void Quantizer(ReadOnlySpan<float> source, Span<byte> blocks);

    private static (Quantizer Quantize, int BlockBytes) Format(string format) => format == "Q4_K"
        ? (GgmlQ4_K.QuantizeRow, GgmlQ4_K.BlockBytes)
        : (GgmlQ6_K.QuantizeRow, GgmlQ6_K.BlockBytes);
}
