using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Quantized.Ggml;
using Xunit;

namespace Transformer.Kernels.Tests;

/// <summary>
/// Every 4-bit path this CPU has, held to the scalar spec, to the int8 path on the same (exactly widened) weights,
/// and to ggml's own Q4_0 dequantization.
/// </summary>
public class Q4MatMulTests
{
    private const double Unit = 1.0 / (1 << 24); // unit roundoff of float32

    public static TheoryData<CpuIsa> Isas => Q8TestData.AllIsas();

    /// <summary>16 code bytes, biased towards the nibbles where q − 8 is extreme (0 → −8, 15 → 7) or zero (8).</summary>
    private static readonly Gen<byte[]> Codes =
        Gen.Frequency((4, Gen.Choose(0, 255)), (1, Gen.Elements(0x00, 0xFF, 0x88, 0x0F, 0xF0, 0x80, 0x08)))
            .Select(v => (byte)v).ArrayOf(Q4Weight.BlockBytes);

    [Theory]
    [MemberData(nameof(Isas))]
    public void Block_dot_equals_the_scalar_integer_dot_exactly(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        Prop.ForAll(Codes.ToArbitrary(), Q8TestData.Block.ToArbitrary(), (w, x) =>
            Assert.Equal(Q4Reference.BlockDot(w, x), Q4MatMul.BlockDot(isa, w, x))).QuickCheckThrowOnFailure();
        var lowest = Enumerable.Repeat((byte)0x00, Q4Weight.BlockBytes).ToArray(); // every value −8
        var highest = Enumerable.Repeat((byte)0xFF, Q4Weight.BlockBytes).ToArray(); // every value 7
        var plus = Enumerable.Repeat((sbyte)127, Q8Format.BlockSize).ToArray();
        var minus = Enumerable.Repeat((sbyte)-127, Q8Format.BlockSize).ToArray();
        Assert.Equal(-32 * 8 * 127, Q4MatMul.BlockDot(isa, lowest, plus));
        Assert.Equal(32 * 8 * 127, Q4MatMul.BlockDot(isa, lowest, minus));
        Assert.Equal(32 * 7 * 127, Q4MatMul.BlockDot(isa, highest, plus));
    }

    /// <summary>The value order within a block: byte j's low nibble is value j, its high nibble value j + 16.</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Nibbles_are_the_values_ggml_puts_there(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        for (int value = 0; value < Q8Format.BlockSize; value++)
        {
            var codes = Enumerable.Repeat((byte)0x88, Q4Weight.BlockBytes).ToArray(); // every value 0
            int j = value % Q4Weight.BlockBytes;
            codes[j] = value < Q4Weight.BlockBytes ? (byte)0x89 : (byte)0x98; // this one value is 1
            var x = Enumerable.Range(0, Q8Format.BlockSize).Select(i => (sbyte)(i + 1)).ToArray();
            Assert.Equal(value + 1, Q4MatMul.BlockDot(isa, codes, x));
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Gemm_matches_the_scalar_spec_within_summation_rounding(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        Q8TestData.AssertCovered(PropertyCoverage.Check(Q8TestData.Cases, 100, c =>
        {
            var (w, x) = Problem(c);
            var expected = new float[c.Tokens * c.Rows];
            var actual = new float[c.Tokens * c.Rows];
            Q4Reference.ComputeRows(x, w, expected, 0, c.Rows);
            Q4MatMul.Compute(isa, x, w, actual);
            var widened = w.ToQ8();
            for (int t = 0; t < c.Tokens; t++)
                for (int o = 0; o < c.Rows; o++)
                {
                    double bound = (2 * c.Blocks + 40) * Unit * Q8MatMulTests.AbsoluteTermSum(widened, x, o, t);
                    Assert.True(Math.Abs(expected[t * c.Rows + o] - actual[t * c.Rows + o]) <= bound,
                        $"{c}: y[{t}, {o}] = {actual[t * c.Rows + o]}, spec {expected[t * c.Rows + o]}, bound {bound}");
                }
        }));
    }

    /// <summary>
    /// Where the int8 path runs the same dot and accumulator (one block a step), the 4-bit path on the codes and the
    /// int8 path on the exactly widened weights are the same arithmetic: equal bit for bit. (AVX-512's int8 path
    /// pairs blocks when a row has an even count, a different summation, so there it is held to the bound above.)
    /// </summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Gemm_equals_the_int8_path_on_the_widened_weights_bitwise(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        Q8TestData.AssertCovered(PropertyCoverage.Check(Q8TestData.Cases, 100, c =>
        {
            if (isa == CpuIsa.Avx512 && c.Blocks % 2 == 0) return;
            var (w, x) = Problem(c);
            var four = new float[c.Tokens * c.Rows];
            var eight = new float[c.Tokens * c.Rows];
            Q4MatMul.Compute(isa, x, w, four);
            Q8MatMul.Compute(isa, x, w.ToQ8(), eight);
            Assert.Equal(eight, four);
        }));
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Gemm_tiles_give_bitwise_the_gemv_result_of_each_token(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        Q8TestData.AssertCovered(PropertyCoverage.Check(Q8TestData.Cases, 100, c =>
        {
            var (w, x) = Problem(c);
            var all = new float[c.Tokens * c.Rows];
            Q4MatMul.Compute(isa, x, w, all);
            float[] input = c.Activations();
            var one = new Q8Activations(c.K);
            var row = new float[c.Rows];
            for (int t = 0; t < c.Tokens; t++)
            {
                one.Quantize(input.AsSpan(t * c.K, c.K), 1);
                Q4MatMul.Compute(isa, one, w, row);
                Assert.Equal(row, all.AsSpan(t * c.Rows, c.Rows).ToArray());
            }
        }));
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
            var (w, x) = Problem(c);
            var whole = new float[c.Tokens * c.Rows];
            Q4MatMul.Compute(isa, x, w, whole);
            var parts = Enumerable.Repeat(float.NaN, c.Tokens * c.Rows).ToArray();
            Q4MatMul.ComputeRows(isa, x, w, parts, 0, split);
            for (int t = 0; t < c.Tokens; t++)
                for (int o = split; o < c.Rows; o++)
                    Assert.True(float.IsNaN(parts[t * c.Rows + o]), $"row {o} outside [0, {split}) was written");
            Q4MatMul.ComputeRows(isa, x, w, parts, split, c.Rows);
            Assert.Equal(whole, parts);
        });
        Q8TestData.AssertCovered([.. seen.Select(p => p.Case)]);
    }

    /// <summary>Split from a Q4_0 tensor, a row dequantizes to exactly what ggml's dequantize_row_q4_0 gives, and so does its int8 widening.</summary>
    [Fact]
    public void A_q4_0_tensor_keeps_ggml_values_bit_for_bit()
    {
        Q8TestData.AssertCovered(PropertyCoverage.Check(Q8TestData.Cases, 100, c =>
        {
            byte[] blocks = Q4_0Blocks(c);
            var w = Q4Weight.FromGgmlQ4_0(blocks, c.Rows, c.K);
            var widened = w.ToQ8();
            var ggml = new float[c.K];
            var ours = new float[c.K];
            var viaQ8 = new float[c.Rows * c.K];
            widened.Dequantize(viaQ8);
            int rowBytes = c.Blocks * GgmlQ4_0.BlockBytes;
            for (int o = 0; o < c.Rows; o++)
            {
                GgmlQ4_0.DequantizeRow(blocks.AsSpan(o * rowBytes, rowBytes), ggml);
                w.DequantizeRow(o, ours);
                Assert.Equal(ggml.Select(BitConverter.SingleToInt32Bits), ours.Select(BitConverter.SingleToInt32Bits));
                Assert.Equal(ggml.Select(BitConverter.SingleToInt32Bits), viaQ8.AsSpan(o * c.K, c.K).ToArray().Select(BitConverter.SingleToInt32Bits));
            }
        }));
    }

    [Fact]
    public void Malformed_q4_0_data_and_mismatched_shapes_are_rejected()
    {
        var c = new Q8Case(4, 2, 2, 7);
        byte[] blocks = Q4_0Blocks(c);
        Assert.Throws<ArgumentException>(() => Q4Weight.FromGgmlQ4_0(blocks.AsSpan(1), c.Rows, c.K));
        Assert.Throws<ArgumentException>(() => Q4Weight.FromGgmlQ4_0(blocks, c.Rows, c.K + 1));
        Assert.Throws<ArgumentException>(() => Q4Weight.FromGgmlQ4_0(blocks, 0, c.K));
        var (w, x) = Problem(c);
        Assert.Throws<ArgumentException>(() => Q4MatMul.Compute(CpuIsa.Scalar, x, w, new float[c.Rows]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Q4MatMul.ComputeRows(CpuIsa.Scalar, x, w, new float[c.Tokens * c.Rows], 2, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.DequantizeRow(c.Rows, new float[c.K]));
    }

    /// <summary>Random Q4_0 blocks: f16 scales of varied magnitude (some zero), codes biased towards the extremes.</summary>
    private static byte[] Q4_0Blocks(Q8Case c)
    {
        var random = new Random(c.Seed);
        var blocks = new byte[c.Rows * c.Blocks * GgmlQ4_0.BlockBytes];
        for (int b = 0; b < c.Rows * c.Blocks; b++)
        {
            var block = blocks.AsSpan(b * GgmlQ4_0.BlockBytes, GgmlQ4_0.BlockBytes);
            int kind = random.Next(8);
            float d = kind == 0 ? 0f : (2 * random.NextSingle() - 1) * (kind == 1 ? 1e-4f : 0.05f);
            BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
            random.NextBytes(block[2..]);
            if (kind == 2) block[2..].Fill(0x00);
            if (kind == 3) block[2..].Fill(0xFF);
        }
        return blocks;
    }

    private static (Q4Weight W, Q8Activations X) Problem(Q8Case c)
    {
        var w = Q4Weight.FromGgmlQ4_0(Q4_0Blocks(c), c.Rows, c.K);
        var x = new Q8Activations(c.K);
        x.Quantize(c.Activations(), c.Tokens);
        return (w, x);
    }
}
