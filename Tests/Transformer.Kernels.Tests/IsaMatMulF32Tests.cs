using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Cpu.Ops;
using Xunit;

namespace Transformer.Kernels.Tests;

/// <summary>The tiled f32 matmul on every path this CPU has, against double-precision naive code.</summary>
public class IsaMatMulF32Tests
{
    public static TheoryData<CpuIsa> Isas => Q8TestData.AllIsas();

    /// <summary>Odd K (tails shorter than a vector, down to 1), odd rows (tile tails), 1..9 tokens.</summary>
    private static readonly Gen<(int Rows, int K, int Tokens, int Seed)> s_shapes =
        from rows in PropertyCoverage.Size(1, 13)
        from k in PropertyCoverage.Size(1, 70)
        from tokens in PropertyCoverage.Size(1, 9)
        from seed in Gen.Choose(int.MinValue, int.MaxValue)
        select (rows, k, tokens, seed);

    /// <summary>
    /// A float sum of K products computed in any order, with or without fused multiply-add, is
    /// within γ_n·Σ|w·x| of the exact value for n roundings on any term's path (Higham, Accuracy
    /// and Stability, §3.1): here n ≤ K/lanes + 15 (lane sum) + K%lanes (scalar tail) + 1 ≤ K + 16.
    /// </summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Matches_double_precision_within_the_summation_bound(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        var seen = PropertyCoverage.Check(s_shapes, 100, s =>
        {
            var random = new Random(s.Seed);
            float[] w = Enumerable.Range(0, s.Rows * s.K).Select(_ => 2 * random.NextSingle() - 1).ToArray();
            float[] x = Enumerable.Range(0, s.Tokens * s.K).Select(_ => 4 * random.NextSingle() - 2).ToArray();
            var y = new float[s.Tokens * s.Rows];
            MatMulF32Tiled.ComputeRows(isa, x, s.Tokens, w, s.K, s.Rows, y, 0, s.Rows);
            for (int t = 0; t < s.Tokens; t++)
                for (int o = 0; o < s.Rows; o++)
                {
                    double exact = 0, magnitude = 0;
                    for (int i = 0; i < s.K; i++)
                    {
                        double p = (double)w[o * s.K + i] * x[t * s.K + i];
                        exact += p;
                        magnitude += Math.Abs(p);
                    }
                    double bound = (s.K + 16) * Math.Pow(2, -24) * 1.01 * magnitude;
                    Assert.True(Math.Abs(exact - y[t * s.Rows + o]) <= bound,
                        $"[{s}] y[{t}, {o}] = {y[t * s.Rows + o]}, exact {exact}, bound {bound}");
                }
        });
        PropertyCoverage.AssertReaches(seen.Select(s => s.Rows), 1, 13, "rows");
        PropertyCoverage.AssertReaches(seen.Select(s => s.K), 1, 70, "K");
        PropertyCoverage.AssertReaches(seen.Select(s => s.Tokens), 1, 9, "tokens");
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Row_ranges_fill_only_their_rows(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        const int rows = 11, k = 37, tokens = 6;
        var random = new Random(5);
        float[] w = Enumerable.Range(0, rows * k).Select(_ => random.NextSingle()).ToArray();
        float[] x = Enumerable.Range(0, tokens * k).Select(_ => random.NextSingle()).ToArray();
        var whole = new float[tokens * rows];
        MatMulF32Tiled.ComputeRows(isa, x, tokens, w, k, rows, whole, 0, rows);
        var parts = Enumerable.Repeat(float.NaN, tokens * rows).ToArray();
        MatMulF32Tiled.ComputeRows(isa, x, tokens, w, k, rows, parts, 3, 10);
        for (int t = 0; t < tokens; t++)
            for (int o = 0; o < rows; o++)
                if (o is < 3 or >= 10) Assert.True(float.IsNaN(parts[t * rows + o]));
                else Assert.Equal(whole[t * rows + o], parts[t * rows + o]);
    }
}
