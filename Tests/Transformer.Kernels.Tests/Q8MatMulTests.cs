using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;
using Xunit;

namespace Transformer.Kernels.Tests;

/// <summary>Every int8 path this CPU has, held to the scalar spec and to the float32 product.</summary>
public class Q8MatMulTests
{
    private const double Unit = 1.0 / (1 << 24); // unit roundoff of float32

    public static TheoryData<CpuIsa> Isas => Q8TestData.AllIsas();

    [Theory]
    [MemberData(nameof(Isas))]
    public void Block_dot_equals_the_scalar_integer_dot_exactly(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        Prop.ForAll(Q8TestData.Block.ToArbitrary(), Q8TestData.Block.ToArbitrary(), (w, x) =>
            Assert.Equal(Q8Reference.BlockDot(w, x), Q8MatMul.BlockDot(isa, w, x))).QuickCheckThrowOnFailure();
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Block_dot_is_exact_at_the_extremes(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        var plus = Enumerable.Repeat((sbyte)127, Q8Format.BlockSize).ToArray();
        var minus = Enumerable.Repeat((sbyte)-127, Q8Format.BlockSize).ToArray();
        Assert.Equal(32 * 127 * 127, Q8MatMul.BlockDot(isa, plus, plus));
        Assert.Equal(32 * 127 * 127, Q8MatMul.BlockDot(isa, minus, minus));
        Assert.Equal(-32 * 127 * 127, Q8MatMul.BlockDot(isa, plus, minus));
        Assert.Equal(-32 * 127 * 127, Q8MatMul.BlockDot(isa, minus, plus));
    }

    /// <summary>
    /// The AVX-512 path's two-block step (rows with an even block count) holds two blocks' exact dots in
    /// its lane halves; the extremes are where its sign select or a saturating vpmaddubsw pair would break.
    /// </summary>
    [Fact]
    public void Avx512_two_block_step_gives_each_block_its_exact_integer_dot()
    {
        Q8TestData.SkipUnlessSupported(CpuIsa.Avx512);
        var pairs = from w0 in Q8TestData.Block from w1 in Q8TestData.Block from x0 in Q8TestData.Block from x1 in Q8TestData.Block
                    select (W0: w0, W1: w1, X0: x0, X1: x1);
        Prop.ForAll(pairs.ToArbitrary(), p =>
                Assert.Equal((Q8Reference.BlockDot(p.W0, p.X0), Q8Reference.BlockDot(p.W1, p.X1)), Q8MatMul.BlockPairDot([.. p.W0, .. p.W1], [.. p.X0, .. p.X1])))
            .QuickCheckThrowOnFailure();
        var plus = Enumerable.Repeat((sbyte)127, Q8Format.BlockSize).ToArray();
        var minus = Enumerable.Repeat((sbyte)-127, Q8Format.BlockSize).ToArray();
        Assert.Equal((32 * 127 * 127, -32 * 127 * 127), Q8MatMul.BlockPairDot([.. minus, .. plus], [.. minus, .. minus]));
        Assert.Equal((-32 * 127 * 127, 32 * 127 * 127), Q8MatMul.BlockPairDot([.. plus, .. minus], [.. minus, .. minus]));
    }

    /// <summary>
    /// The scalar spec adds (dot_b · d_b) one block at a time; a SIMD path adds d_b · (lane part of
    /// dot_b) per lane with fused multiply-adds and sums up to 16 lanes at the end. Both are
    /// float sums of terms whose magnitudes add up to at most S = Σ_b |d_b| · Σ_i |w_i·x_i|, with at
    /// most blocks + 1 (scalar) and blocks + 15 (SIMD) roundings on any term's path, so they differ
    /// by at most (2·blocks + 16)·u·S; 2·blocks + 40 leaves room for the rounded scale product.
    /// Integer parts are exact on every path (checked above), so this is the whole difference.
    /// </summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Gemm_matches_the_scalar_spec_within_summation_rounding(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        Q8TestData.AssertCovered(PropertyCoverage.Check(Q8TestData.Cases, 100, c =>
        {
            var (w, x) = Quantize(c);
            var expected = new float[c.Tokens * c.Rows];
            var actual = new float[c.Tokens * c.Rows];
            Q8Reference.ComputeRows(x, w, expected, 0, c.Rows);
            Q8MatMul.Compute(isa, x, w, actual);
            for (int t = 0; t < c.Tokens; t++)
                for (int o = 0; o < c.Rows; o++)
                {
                    double bound = (2 * c.Blocks + 40) * Unit * AbsoluteTermSum(w, x, o, t);
                    Assert.True(Math.Abs(expected[t * c.Rows + o] - actual[t * c.Rows + o]) <= bound,
                        $"{c}: y[{t}, {o}] = {actual[t * c.Rows + o]}, spec {expected[t * c.Rows + o]}, bound {bound}");
                }
        }));
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Gemm_tiles_give_bitwise_the_gemv_result_of_each_token(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        Q8TestData.AssertCovered(PropertyCoverage.Check(Q8TestData.Cases, 100, c =>
        {
            var (w, x) = Quantize(c);
            var all = new float[c.Tokens * c.Rows];
            Q8MatMul.Compute(isa, x, w, all);
            float[] input = c.Activations();
            var one = new Q8Activations(c.K);
            var row = new float[c.Rows];
            for (int t = 0; t < c.Tokens; t++)
            {
                one.Quantize(input.AsSpan(t * c.K, c.K), 1);
                Q8MatMul.Compute(isa, one, w, row);
                Assert.Equal(row, all.AsSpan(t * c.Rows, c.Rows).ToArray());
            }
        }));
    }

    /// <summary>
    /// Tiles reduce four accumulators with one network and row tails reduce one at a time; both
    /// must add the lanes in the reference order, bit for bit, or a result would depend on which
    /// tile computed it.
    /// </summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Accumulator_sums_add_lanes_in_the_reference_order_together_and_alone(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        int lanes = Q8MatMul.AccumulatorLanes(isa);
        Prop.ForAll(Q8TestData.AccumulatorLanes(4 * lanes).ToArbitrary(), values =>
        {
            var together = new float[4];
            var oneByOne = new float[4];
            Q8MatMul.AccumulatorSums(isa, values, together, oneByOne);
            for (int i = 0; i < 4; i++)
            {
                int expected = BitConverter.SingleToInt32Bits(Q8Reference.LaneSum(values.AsSpan(i * lanes, lanes)));
                Assert.Equal(expected, BitConverter.SingleToInt32Bits(together[i]));
                Assert.Equal(expected, BitConverter.SingleToInt32Bits(oneByOne[i]));
            }
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Row_ranges_fill_only_their_rows_and_together_give_the_whole(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        var splits = from c in Q8TestData.Cases from split in PropertyCoverage.Size(0, c.Rows) select (Case: c, Split: split);
        var seen = PropertyCoverage.Check(splits, 100, pair =>
        {
            var (c, split) = pair;
            var (w, x) = Quantize(c);
            var whole = new float[c.Tokens * c.Rows];
            Q8MatMul.Compute(isa, x, w, whole);
            var parts = Enumerable.Repeat(float.NaN, c.Tokens * c.Rows).ToArray();
            Q8MatMul.ComputeRows(isa, x, w, parts, 0, split);
            for (int t = 0; t < c.Tokens; t++)
                for (int o = split; o < c.Rows; o++)
                    Assert.True(float.IsNaN(parts[t * c.Rows + o]), $"row {o} outside [0, {split}) was written");
            Q8MatMul.ComputeRows(isa, x, w, parts, split, c.Rows);
            Assert.Equal(whole, parts);
        });
        Q8TestData.AssertCovered([.. seen.Select(p => p.Case)]);
        Assert.Contains(seen, p => p.Split == 0);
        Assert.Contains(seen, p => p.Split == p.Case.Rows);
    }

    /// <summary>
    /// Against the exact float product (in double). With w = ŵ + εw, x = x̂ + εx, where ŵ = sw·qw and
    /// x̂ = sx·qx are the dequantized values and |εw| ≤ sw/2, |εx| ≤ sx/2 (half a step, ×1.0001 for
    /// the rounding of x·127/max), w·x − ŵ·x̂ = ŵ·εx + x̂·εw + εw·εx, so
    /// |y − y_int8| ≤ Σ_b Σ_i (|ŵ_i|·sx_b/2 + |x̂_i|·sw_b/2 + sw_b·sx_b/4), plus the float
    /// summation bound of the int8 result itself.
    /// </summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Gemm_is_within_the_quantization_bound_of_the_f32_product(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        Q8TestData.AssertCovered(PropertyCoverage.Check(Q8TestData.Cases, 100, c =>
        {
            float[] wf = c.Weights(), xf = c.Activations();
            var (w, x) = Quantize(c);
            var y = new float[c.Tokens * c.Rows];
            Q8MatMul.Compute(isa, x, w, y);
            const double half = 0.5001;
            for (int t = 0; t < c.Tokens; t++)
                for (int o = 0; o < c.Rows; o++)
                {
                    double exact = 0, bound = (2 * c.Blocks + 40) * Unit * AbsoluteTermSum(w, x, o, t);
                    for (int i = 0; i < c.K; i++)
                    {
                        int b = i / Q8Format.BlockSize;
                        double sw = w.Scales[o * c.Blocks + b], sx = x.Scales[t * c.Blocks + b];
                        exact += (double)wf[o * c.K + i] * xf[t * c.K + i];
                        bound += Math.Abs(sw * w.Values[o * c.K + i]) * sx * half + Math.Abs(sx * x.Values[t * c.K + i]) * sw * half + sw * sx * half * half;
                    }
                    Assert.True(Math.Abs(exact - y[t * c.Rows + o]) <= bound,
                        $"{c}: y[{t}, {o}] = {y[t * c.Rows + o]}, exact {exact}, bound {bound}");
                }
        }));
    }

    [Fact]
    public void Mismatched_shapes_and_row_ranges_are_rejected()
    {
        var c = new Q8Case(4, 2, 2, 7);
        var (w, x) = Quantize(c);
        Assert.Throws<ArgumentException>(() => Q8MatMul.Compute(CpuIsa.Scalar, x, w, new float[c.Rows]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Q8MatMul.ComputeRows(CpuIsa.Scalar, x, w, new float[c.Tokens * c.Rows], 2, 5));
        var narrow = new Q8Activations(32);
        narrow.Quantize(new float[32], 1);
        Assert.Throws<ArgumentException>(() => Q8MatMul.Compute(CpuIsa.Scalar, narrow, w, new float[c.Rows]));
    }

    [Fact]
    public void A_path_this_cpu_lacks_is_refused_with_a_clear_error()
    {
        var missing = Enum.GetValues<CpuIsa>().Where(isa => !CpuIsaSupport.IsSupported(isa)).ToArray();
        Assert.SkipWhen(missing.Length == 0, "this CPU supports every path");
        var c = new Q8Case(4, 1, 1, 3);
        var (w, x) = Quantize(c);
        var error = Assert.Throws<PlatformNotSupportedException>(() => Q8MatMul.Compute(missing[0], x, w, new float[c.Rows]));
        Assert.Contains(CpuIsaSupport.Name(missing[0]), error.Message);
    }

    private static (Q8Weight W, Q8Activations X) Quantize(Q8Case c)
    {
        var w = Q8Weight.Quantize(c.Weights(), c.Rows, c.K);
        var x = new Q8Activations(c.K);
        x.Quantize(c.Activations(), c.Tokens);
        return (w, x);
    }

    /// <summary>S = Σ_b |sw_b·sx_b| · Σ_i |qw_i·qx_i| for one row and token.</summary>
    internal static double AbsoluteTermSum(Q8Weight w, Q8Activations x, int o, int t)
    {
        double sum = 0;
        int k = w.InFeatures, blocks = w.BlocksPerRow;
        for (int b = 0; b < blocks; b++)
        {
            long dot = 0;
            for (int i = 0; i < Q8Format.BlockSize; i++)
                dot += Math.Abs(w.Values[o * k + b * Q8Format.BlockSize + i] * x.Values[t * k + b * Q8Format.BlockSize + i]);
            sum += Math.Abs((double)w.Scales[o * blocks + b] * x.Scales[t * blocks + b]) * dot;
        }
        return sum;
    }
}
