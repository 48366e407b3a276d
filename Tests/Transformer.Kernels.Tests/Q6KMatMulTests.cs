using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Quantized.Ggml;
using Xunit;

namespace Transformer.Kernels.Tests;

/// <summary>
/// Q6_K: the rearranged layout holds ggml's values bit for bit, the scalar spec is the dot of those values with the Q8
/// activations, and every SIMD path this CPU has agrees with the spec (block dots exactly).
/// </summary>
public class Q6KMatMulTests
{
    private const double Unit = 1.0 / (1 << 24);

    public static TheoryData<CpuIsa> Isas => Q8TestData.AllIsas();

    /// <summary>One block of the layout: random bits, codes biased to 0 (−32) and 63 (31), scales biased to −128 and 127.</summary>
    private static readonly Gen<byte[]> Blocks =
        from codes in Gen.Frequency((4, Gen.Choose(0, 63)), (1, Gen.Elements(0, 63, 32))).ArrayOf(32)
        from low in Gen.Frequency((3, Gen.Choose(-128, 127)), (1, Gen.Elements(-128, 127, 0)))
        from high in Gen.Frequency((3, Gen.Choose(-128, 127)), (1, Gen.Elements(-128, 127, 0)))
        select Packed(codes, low, high);

    private static byte[] Packed(int[] codes, int low, int high)
    {
        var block = new byte[Q6KWeight.BlockBytes];
        Q6KWeight.Pack(codes.Select(q => (byte)q).ToArray(), (sbyte)low, (sbyte)high, block);
        return block;
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Block_dot_equals_the_scalar_integer_dot_exactly(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        Prop.ForAll(Blocks.ToArbitrary(), Q8TestData.Block.ToArbitrary(), (w, x) =>
            Assert.Equal(Q6KReference.BlockDot(w, x), Q6KMatMul.BlockDot(isa, w, x))).QuickCheckThrowOnFailure();
        // The largest magnitude: every value −32 with scale −128 against 127: 32·32·127·128 = 16 646 144.
        var lowest = Packed(new int[32], -128, -128);
        Assert.Equal(32 * 32 * 127 * 128, Q6KMatMul.BlockDot(isa, lowest, Enumerable.Repeat((sbyte)127, 32).ToArray()));
        Assert.Equal(-32 * 32 * 127 * 128, Q6KMatMul.BlockDot(isa, lowest, Enumerable.Repeat((sbyte)-127, 32).ToArray()));
    }

    /// <summary>Each of the 32 values of a block meets the activation of the same index, weighed by its half's scale.</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Values_meet_the_activation_of_their_index_and_their_half_scale(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        var x = Enumerable.Range(0, 32).Select(i => (sbyte)(i + 1)).ToArray();
        for (int value = 0; value < 32; value++)
            foreach (int code in new[] { 33, 32 + 16, 63, 0 })
            {
                var codes = Enumerable.Repeat(32, 32).ToArray(); // every value 0
                codes[value] = code;
                Assert.Equal((code - 32) * (value + 1) * (value < 16 ? 3 : -5), Q6KMatMul.BlockDot(isa, Packed(codes, 3, -5), x));
            }
    }

    /// <summary>Rearranged from ggml super-blocks, every row dequantizes to exactly what dequantize_row_q6_K gives.</summary>
    [Fact]
    public void The_rearranged_layout_keeps_ggml_values_bit_for_bit()
    {
        KQuantTestData.AssertCovered(PropertyCoverage.Check(KQuantTestData.Cases, 100, c =>
        {
            byte[] blocks = c.Q6KBlocks();
            var w = Q6KWeight.FromGgml(blocks, c.Rows, c.K);
            int rowBytes = c.SuperBlocks * GgmlQ6_K.BlockBytes;
            var ggml = new float[c.K];
            var ours = new float[c.K];
            for (int o = 0; o < c.Rows; o++)
            {
                GgmlQ6_K.DequantizeRow(blocks.AsSpan(o * rowBytes, rowBytes), ggml);
                w.DequantizeRow(o, ours);
                Assert.True(KQuantTestData.SameBits(ggml, ours), $"{c}: row {o} differs from ggml's dequantization");
            }
        }));
    }

    /// <summary>The spec is Σ dequantized weight × dequantized activation, up to float rounding.</summary>
    [Fact]
    public void The_spec_is_the_dot_of_the_dequantized_values()
    {
        KQuantTestData.AssertCovered(PropertyCoverage.Check(KQuantTestData.Cases, 50, c =>
        {
            var w = Q6KWeight.FromGgml(c.Q6KBlocks(), c.Rows, c.K);
            var x = c.Quantized();
            var y = new float[c.Tokens * c.Rows];
            Q6KReference.ComputeRows(x, w, y, 0, c.Rows);
            var row = new float[c.K];
            for (int o = 0; o < c.Rows; o++)
            {
                w.DequantizeRow(o, row);
                for (int t = 0; t < c.Tokens; t++)
                {
                    double exact = 0, magnitude = 0;
                    for (int i = 0; i < c.K; i++)
                    {
                        double term = (double)row[i] * x.Values[t * c.K + i] * x.Scales[t * c.Blocks + i / 32];
                        exact += term;
                        magnitude += Math.Abs((double)row[i] * x.Values[t * c.K + i] * x.Scales[t * c.Blocks + i / 32]);
                    }
                    double bound = (4 * c.Blocks + 40) * Unit * magnitude + 1e-30;
                    Assert.True(Math.Abs(exact - y[t * c.Rows + o]) <= bound, $"{c}: y[{t}, {o}] = {y[t * c.Rows + o]}, exact {exact}, bound {bound}");
                }
            }
        }));
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Gemm_matches_the_scalar_spec_within_summation_rounding(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        KQuantTestData.AssertCovered(PropertyCoverage.Check(KQuantTestData.Cases, 100, c =>
        {
            var w = Q6KWeight.FromGgml(c.Q6KBlocks(), c.Rows, c.K);
            var x = c.Quantized();
            var expected = new float[c.Tokens * c.Rows];
            var actual = new float[c.Tokens * c.Rows];
            Q6KReference.ComputeRows(x, w, expected, 0, c.Rows);
            Q6KMatMul.Compute(isa, x, w, actual);
            for (int t = 0; t < c.Tokens; t++)
                for (int o = 0; o < c.Rows; o++)
                {
                    double bound = (2 * c.Blocks + 40) * Unit * TermMagnitude(w, x, o, t, c) + 1e-30;
                    Assert.True(Math.Abs(expected[t * c.Rows + o] - actual[t * c.Rows + o]) <= bound,
                        $"{c}: y[{t}, {o}] = {actual[t * c.Rows + o]}, spec {expected[t * c.Rows + o]}, bound {bound}");
                }
        }));
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Gemm_tiles_and_row_ranges_give_bitwise_the_gemv_result(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        var splits = from c in KQuantTestData.Cases from split in PropertyCoverage.Size(0, c.Rows) select (Case: c, Split: split);
        var seen = PropertyCoverage.Check(splits, 100, pair =>
        {
            var (c, split) = pair;
            var w = Q6KWeight.FromGgml(c.Q6KBlocks(), c.Rows, c.K);
            var x = c.Quantized();
            var all = new float[c.Tokens * c.Rows];
            Q6KMatMul.Compute(isa, x, w, all);
            var parts = Enumerable.Repeat(float.NaN, c.Tokens * c.Rows).ToArray();
            Q6KMatMul.ComputeRows(isa, x, w, parts, 0, split);
            for (int t = 0; t < c.Tokens; t++)
                for (int o = split; o < c.Rows; o++)
                    Assert.True(float.IsNaN(parts[t * c.Rows + o]), $"row {o} outside [0, {split}) was written");
            Q6KMatMul.ComputeRows(isa, x, w, parts, split, c.Rows);
            Assert.True(KQuantTestData.SameBits(all, parts), $"{c}: row ranges split at {split} differ from the whole");
            float[] input = c.Activations();
            var one = new Q8Activations(c.K);
            var row = new float[c.Rows];
            for (int t = 0; t < c.Tokens; t++)
            {
                one.Quantize(input.AsSpan(t * c.K, c.K), 1);
                Q6KMatMul.Compute(isa, one, w, row);
                Assert.True(KQuantTestData.SameBits(row, all.AsSpan(t * c.Rows, c.Rows).ToArray()), $"{c}: token {t}'s GEMV differs from its GEMM row");
            }
        });
        KQuantTestData.AssertCovered([.. seen.Select(p => p.Case)]);
    }

    [Fact]
    public void Malformed_q6_k_data_and_mismatched_shapes_are_rejected()
    {
        var c = new KQuantCase(3, 2, 2, 7);
        byte[] blocks = c.Q6KBlocks();
        Assert.Throws<ArgumentException>(() => Q6KWeight.FromGgml(blocks.AsSpan(1), c.Rows, c.K));
        Assert.Throws<ArgumentException>(() => Q6KWeight.FromGgml(blocks, c.Rows, c.K + 32));
        Assert.Throws<ArgumentException>(() => Q6KWeight.FromGgml(blocks, 0, c.K));
        var w = Q6KWeight.FromGgml(blocks, c.Rows, c.K);
        Assert.Throws<ArgumentException>(() => Q6KMatMul.Compute(CpuIsa.Scalar, c.Quantized(), w, new float[c.Rows]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Q6KMatMul.ComputeRows(CpuIsa.Scalar, c.Quantized(), w, new float[c.Tokens * c.Rows], 2, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.DequantizeRow(c.Rows, new float[c.K]));
    }

    /// <summary>Σ_b |d·sx|·Σ|s·(q − 32)·x|: the magnitude the float rounding is relative to.</summary>
    private static double TermMagnitude(Q6KWeight w, Q8Activations x, int o, int t, KQuantCase c)
    {
        double sum = 0;
        Span<sbyte> q = stackalloc sbyte[32];
        for (int b = 0; b < c.Blocks; b++)
        {
            int block = o * c.Blocks + b;
            var (low, high) = Q6KWeight.DecodeBlock(w.Blocks.Slice(block * Q6KWeight.BlockBytes, Q6KWeight.BlockBytes), q);
            double dot = 0;
            for (int i = 0; i < 32; i++) dot += Math.Abs(q[i] * (i < 16 ? low : high) * x.Values[t * c.K + b * 32 + i]);
            sum += Math.Abs(w.Scales[block] * x.Scales[t * c.Blocks + b] * dot);
        }
        return sum;
    }
}
