using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Quantized.Ggml;
using Xunit;

namespace Transformer.Kernels.Tests;

/// <summary>
/// Q4_K: the rearranged layout holds ggml's values bit for bit, the scalar spec is the dot of those values with the Q8
/// activations, and every SIMD path this CPU has agrees with the spec (block dots exactly).
/// </summary>
public class Q4KMatMulTests
{
    private const double Unit = 1.0 / (1 << 24);

    public static TheoryData<CpuIsa> Isas => Q8TestData.AllIsas();

    private static readonly Gen<byte[]> Codes =
        Gen.Frequency((4, Gen.Choose(0, 255)), (1, Gen.Elements(0x00, 0xFF, 0x0F, 0xF0)))
            .Select(v => (byte)v).ArrayOf(Q4KWeight.BlockBytes);

    [Theory]
    [MemberData(nameof(Isas))]
    public void Block_dot_equals_the_scalar_integer_dot_exactly(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        Prop.ForAll(Codes.ToArbitrary(), Q8TestData.Block.ToArbitrary(), (w, x) =>
            Assert.Equal(Q4KReference.BlockDot(w, x), Q4KMatMul.BlockDot(isa, w, x))).QuickCheckThrowOnFailure();
        var highest = Enumerable.Repeat((byte)0xFF, Q4KWeight.BlockBytes).ToArray();
        Assert.Equal(32 * 15 * 127, Q4KMatMul.BlockDot(isa, highest, Enumerable.Repeat((sbyte)127, 32).ToArray()));
        Assert.Equal(-32 * 15 * 127, Q4KMatMul.BlockDot(isa, highest, Enumerable.Repeat((sbyte)-127, 32).ToArray()));
    }

    /// <summary>Each of the 32 codes of a block meets the activation of the same index.</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Codes_meet_the_activation_of_their_value_index(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        var x = Enumerable.Range(0, 32).Select(i => (sbyte)(i + 1)).ToArray();
        for (int value = 0; value < 32; value++)
        {
            var codes = new byte[Q4KWeight.BlockBytes];
            codes[value % 16] = value < 16 ? (byte)0x01 : (byte)0x10;
            Assert.Equal(value + 1, Q4KMatMul.BlockDot(isa, codes, x));
        }
    }

    /// <summary>Rearranged from ggml super-blocks, every row dequantizes to exactly what dequantize_row_q4_K gives.</summary>
    [Fact]
    public void The_rearranged_layout_keeps_ggml_values_bit_for_bit()
    {
        KQuantTestData.AssertCovered(PropertyCoverage.Check(KQuantTestData.Cases, 100, c =>
        {
            byte[] blocks = c.Q4KBlocks();
            var w = Q4KWeight.FromGgml(blocks, c.Rows, c.K);
            int rowBytes = c.SuperBlocks * GgmlQ4_K.BlockBytes;
            var ggml = new float[c.K];
            var ours = new float[c.K];
            for (int o = 0; o < c.Rows; o++)
            {
                GgmlQ4_K.DequantizeRow(blocks.AsSpan(o * rowBytes, rowBytes), ggml);
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
            var w = Q4KWeight.FromGgml(c.Q4KBlocks(), c.Rows, c.K);
            var x = c.Quantized();
            var y = new float[c.Tokens * c.Rows];
            Q4KReference.ComputeRows(x, w, y, 0, c.Rows);
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
                        // Each weight is (d·s)·q − dmin·m with q ≤ 15: its two terms bound what rounding is relative to.
                        magnitude += (Math.Abs(15.0 * w.Scales[o * c.Blocks + i / 32]) + Math.Abs(w.Mins[o * c.Blocks + i / 32]))
                            * Math.Abs((double)x.Values[t * c.K + i] * x.Scales[t * c.Blocks + i / 32]);
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
            var w = Q4KWeight.FromGgml(c.Q4KBlocks(), c.Rows, c.K);
            var x = c.Quantized();
            var expected = new float[c.Tokens * c.Rows];
            var actual = new float[c.Tokens * c.Rows];
            Q4KReference.ComputeRows(x, w, expected, 0, c.Rows);
            Q4KMatMul.Compute(isa, x, w, actual);
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
            var w = Q4KWeight.FromGgml(c.Q4KBlocks(), c.Rows, c.K);
            var x = c.Quantized();
            var all = new float[c.Tokens * c.Rows];
            Q4KMatMul.Compute(isa, x, w, all);
            var parts = Enumerable.Repeat(float.NaN, c.Tokens * c.Rows).ToArray();
            Q4KMatMul.ComputeRows(isa, x, w, parts, 0, split);
            for (int t = 0; t < c.Tokens; t++)
                for (int o = split; o < c.Rows; o++)
                    Assert.True(float.IsNaN(parts[t * c.Rows + o]), $"row {o} outside [0, {split}) was written");
            Q4KMatMul.ComputeRows(isa, x, w, parts, split, c.Rows);
            Assert.True(KQuantTestData.SameBits(all, parts), $"{c}: row ranges split at {split} differ from the whole");
            float[] input = c.Activations();
            var one = new Q8Activations(c.K);
            var row = new float[c.Rows];
            for (int t = 0; t < c.Tokens; t++)
            {
                one.Quantize(input.AsSpan(t * c.K, c.K), 1);
                Q4KMatMul.Compute(isa, one, w, row);
                Assert.True(KQuantTestData.SameBits(row, all.AsSpan(t * c.Rows, c.Rows).ToArray()), $"{c}: token {t}'s GEMV differs from its GEMM row");
            }
        });
        KQuantTestData.AssertCovered([.. seen.Select(p => p.Case)]);
    }

    [Fact]
    public void Malformed_q4_k_data_and_mismatched_shapes_are_rejected()
    {
        var c = new KQuantCase(3, 2, 2, 7);
        byte[] blocks = c.Q4KBlocks();
        Assert.Throws<ArgumentException>(() => Q4KWeight.FromGgml(blocks.AsSpan(1), c.Rows, c.K));
        Assert.Throws<ArgumentException>(() => Q4KWeight.FromGgml(blocks, c.Rows, c.K + 32));
        Assert.Throws<ArgumentException>(() => Q4KWeight.FromGgml(blocks, 0, c.K));
        var w = Q4KWeight.FromGgml(blocks, c.Rows, c.K);
        Assert.Throws<ArgumentException>(() => Q4KMatMul.Compute(CpuIsa.Scalar, c.Quantized(), w, new float[c.Rows]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Q4KMatMul.ComputeRows(CpuIsa.Scalar, c.Quantized(), w, new float[c.Tokens * c.Rows], 2, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.DequantizeRow(c.Rows, new float[c.K]));
    }

    /// <summary>Σ_b |(d·s)·sx·Σ|q·x|| + |(dmin·m)·sx·Σx|: the magnitude the float rounding is relative to.</summary>
    private static double TermMagnitude(Q4KWeight w, Q8Activations x, int o, int t, KQuantCase c)
    {
        double sum = 0;
        Span<byte> q = stackalloc byte[32];
        for (int b = 0; b < c.Blocks; b++)
        {
            int block = o * c.Blocks + b;
            Q4KWeight.DecodeBlock(w.Codes.Slice(block * 16, 16), q);
            double dot = 0;
            for (int i = 0; i < 32; i++) dot += Math.Abs(q[i] * x.Values[t * c.K + b * 32 + i]);
            double scale = x.Scales[t * c.Blocks + b];
            sum += Math.Abs(w.Scales[block] * scale * dot) + Math.Abs(w.Mins[block] * x.ScaledSums()[t * c.Blocks + b]);
        }
        return sum;
    }
}
