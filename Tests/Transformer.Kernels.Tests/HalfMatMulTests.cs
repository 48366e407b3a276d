using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Cpu.Ops;
using Transformer.Kernels.Tensors;
using Xunit;

namespace Transformer.Kernels.Tests;

/// <summary>The F16/BF16-weight matmul on every path this CPU has, against double-precision naive code and the scalar reference.</summary>
public class HalfMatMulTests
{
    public static TheoryData<CpuIsa> Isas => Q8TestData.AllIsas();

    /// <summary>Every path with one token (weights widened in registers) and with eight (widened once per row block).</summary>
    public static TheoryData<CpuIsa, int> IsasAndTokens()
    {
        var data = new TheoryData<CpuIsa, int>();
        foreach (var isa in Enum.GetValues<CpuIsa>())
            foreach (int tokens in new[] { 1, 8 })
                data.Add(isa, tokens);
        return data;
    }

    /// <summary>
    /// Widening is exact, so the only error is float32 summation of K products of the widened
    /// values: in any order, with or without FMA, within γ_n·Σ|w·x| of the exact sum for n ≤ K + 16
    /// roundings on any term's path (K/lanes vector steps + 15 lane-sum adds + K%lanes tail + 1;
    /// Higham, Accuracy and Stability, §3.1). Two results each within that bound of the exact value
    /// are within twice it of each other, which is the bound against the scalar reference.
    /// </summary>
    private static double Bound(int k, double magnitude) => (k + 16) * Math.Pow(2, -24) * 1.01 * magnitude;

    [Theory]
    [MemberData(nameof(Isas))]
    public void Matches_double_precision_and_the_scalar_reference_within_the_summation_bound(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        HalfTestData.AssertCovered(PropertyCoverage.Check(HalfTestData.Cases, 100, c =>
        {
            ushort[] w = c.WeightBits();
            float[] x = c.Activations();
            double[] wide = HalfTestData.WidenedDouble(c.Type, w);
            var y = new float[c.Tokens * c.Rows];
            var reference = new float[c.Tokens * c.Rows];
            MatMulHalf.ComputeRows(isa, c.Type, x, c.Tokens, w, c.K, c.Rows, y, 0, c.Rows);
            MatMulHalf.Reference(c.Type, x, c.Tokens, w, c.K, c.Rows, reference);
            for (int t = 0; t < c.Tokens; t++)
                for (int o = 0; o < c.Rows; o++)
                {
                    double exact = 0, magnitude = 0;
                    for (int i = 0; i < c.K; i++)
                    {
                        double p = wide[o * c.K + i] * x[t * c.K + i];
                        exact += p;
                        magnitude += Math.Abs(p);
                    }
                    double bound = Bound(c.K, magnitude);
                    float got = y[t * c.Rows + o];
                    Assert.True(Math.Abs(exact - got) <= bound, $"[{c}] y[{t}, {o}] = {got}, exact {exact}, bound {bound}");
                    Assert.True(Math.Abs(reference[t * c.Rows + o] - got) <= 2 * bound,
                        $"[{c}] y[{t}, {o}] = {got}, scalar reference {reference[t * c.Rows + o]}, bound {2 * bound}");
                }
        }));
    }

    /// <summary>
    /// Every finite bit pattern, through the vector widening: rows of 16 patterns (a whole vector on
    /// every path) times one-hot tokens pick out single weights, so y must equal the exact scalar widening.
    /// All 16 tokens in one call take the widen-once GEMM path; one token per call, the in-register GEMV.
    /// </summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Every_finite_pattern_widens_exactly(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        const int k = 16;
        foreach (var type in new[] { DType.F16, DType.BF16 })
        {
            ushort[] patterns = Enumerable.Range(0, 65536).Select(b => (ushort)b)
                .Where(b => float.IsFinite(MatMulHalf.Widen(type, b))).ToArray();
            int rows = patterns.Length / k;
            ushort[] w = patterns.AsSpan(0, rows * k).ToArray();
            var x = new float[k * k];
            for (int t = 0; t < k; t++) x[t * k + t] = 1;
            var batched = new float[k * rows];
            MatMulHalf.ComputeRows(isa, type, x, k, w, k, rows, batched, 0, rows);
            var single = new float[k * rows];
            for (int t = 0; t < k; t++)
                MatMulHalf.ComputeRows(isa, type, x.AsSpan(t * k, k), 1, w, k, rows, single.AsSpan(t * rows, rows), 0, rows);
            for (int o = 0; o < rows; o++)
                for (int t = 0; t < k; t++)
                {
                    float expected = MatMulHalf.Widen(type, w[o * k + t]);
                    Assert.True(expected == batched[t * rows + o], $"{type} pattern 0x{w[o * k + t]:X4}, batched: got {batched[t * rows + o]}, exact {expected}");
                    Assert.True(expected == single[t * rows + o], $"{type} pattern 0x{w[o * k + t]:X4}, one token: got {single[t * rows + o]}, exact {expected}");
                }
        }
    }

    /// <summary>Many tokens (weights widened once per row block) give bitwise the one-token results.</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Batched_rows_equal_one_token_rows_bitwise(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        foreach (var type in new[] { DType.F16, DType.BF16 })
        {
            var c = new HalfCase(type, Rows: 13, K: 75, Tokens: 11, Seed: 7);
            ushort[] w = c.WeightBits();
            float[] x = c.Activations();
            var batched = new float[c.Tokens * c.Rows];
            MatMulHalf.ComputeRows(isa, type, x, c.Tokens, w, c.K, c.Rows, batched, 0, c.Rows);
            for (int t = 0; t < c.Tokens; t++)
            {
                var one = new float[c.Rows];
                MatMulHalf.ComputeRows(isa, type, x.AsSpan(t * c.K, c.K), 1, w, c.K, c.Rows, one, 0, c.Rows);
                Assert.Equal(one, batched.AsSpan(t * c.Rows, c.Rows).ToArray());
            }
        }
    }

    [Theory]
    [MemberData(nameof(IsasAndTokens))]
    public void Infinities_and_NaN_survive_the_vector_widening(CpuIsa isa, int tokens)
    {
        Q8TestData.SkipUnlessSupported(isa);
        const int k = 16;
        foreach (var type in new[] { DType.F16, DType.BF16 })
        {
            // Rows: +inf, −inf, NaN in the first (vector) lane, the rest zeros; x = e0.
            float[] specials = [float.PositiveInfinity, float.NegativeInfinity, float.NaN, 0f];
            var w = new ushort[specials.Length * k];
            for (int r = 0; r < specials.Length; r++) w[r * k] = HalfTestData.Narrow(type, specials[r]);
            var x = new float[tokens * k];
            for (int t = 0; t < tokens; t++) x[t * k] = 1;
            var y = new float[tokens * specials.Length];
            MatMulHalf.ComputeRows(isa, type, x, tokens, w, k, specials.Length, y, 0, specials.Length);
            for (int t = 0; t < tokens; t++)
            {
                Assert.Equal(float.PositiveInfinity, y[t * specials.Length]);
                Assert.Equal(float.NegativeInfinity, y[t * specials.Length + 1]);
                Assert.True(float.IsNaN(y[t * specials.Length + 2]), $"{type}: NaN widened to {y[t * specials.Length + 2]}");
                Assert.Equal(0f, y[t * specials.Length + 3]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Row_ranges_fill_only_their_rows(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        var c = new HalfCase(DType.BF16, Rows: 11, K: 37, Tokens: 6, Seed: 5);
        ushort[] w = c.WeightBits();
        float[] x = c.Activations();
        var whole = new float[c.Tokens * c.Rows];
        MatMulHalf.ComputeRows(isa, c.Type, x, c.Tokens, w, c.K, c.Rows, whole, 0, c.Rows);
        var parts = Enumerable.Repeat(float.NaN, c.Tokens * c.Rows).ToArray();
        MatMulHalf.ComputeRows(isa, c.Type, x, c.Tokens, w, c.K, c.Rows, parts, 3, 10);
        for (int t = 0; t < c.Tokens; t++)
            for (int o = 0; o < c.Rows; o++)
                if (o is < 3 or >= 10) Assert.True(float.IsNaN(parts[t * c.Rows + o]));
                else Assert.Equal(whole[t * c.Rows + o], parts[t * c.Rows + o]);
    }

    [Fact]
    public void A_non_half_type_is_rejected_by_name()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            MatMulHalf.ComputeRows(CpuIsa.Scalar, DType.F32, new float[4], 1, new ushort[4], 4, 1, new float[1], 0, 1));
        Assert.Contains("F32", error.Message);
    }
}
