using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;
using Xunit;

namespace Transformer.Kernels.Tests;

/// <summary>
/// The row-interleaved int8 path (<see cref="Q8InterleavedWeight"/>): held bitwise to its scalar spec
/// <see cref="Q8Reference.ComputeRowsFused(Q8Activations, Q8Weight, Span{float}, int, int)"/>, and that spec held to the row-major spec within summation rounding.
/// </summary>
public class Q8InterleavedMatMulTests
{
    private const double Unit = 1.0 / (1 << 24);

    /// <summary>Rows 1..20: 8-row groups with every leftover 0–7, one to three whole groups; 1..9 tokens (4-token tiles plus tails).</summary>
    private static readonly Gen<Q8Case> Cases =
        from rows in PropertyCoverage.Size(1, 20)
        from blocks in PropertyCoverage.Size(1, 6)
        from tokens in PropertyCoverage.Size(1, 9)
        from seed in Gen.Choose(int.MinValue, int.MaxValue)
        select new Q8Case(rows, blocks, tokens, seed);

    private static void AssertCovered(IReadOnlyList<Q8Case> seen)
    {
        PropertyCoverage.AssertReaches(seen.Select(c => c.Rows), 1, 20, "rows");
        PropertyCoverage.AssertReaches(seen.Select(c => c.Blocks), 1, 6, "blocks");
        PropertyCoverage.AssertReaches(seen.Select(c => c.Tokens), 1, 9, "tokens");
    }

    /// <summary>Scalar (the spec itself) and every ISA whose int8 matmul uses the repack on this CPU.</summary>
    public static TheoryData<CpuIsa> Isas()
    {
        var data = new TheoryData<CpuIsa>();
        foreach (var isa in Enum.GetValues<CpuIsa>()) data.Add(isa);
        return data;
    }

    private static void SkipUnlessInterleaved(CpuIsa isa) =>
        Assert.SkipUnless(isa == CpuIsa.Scalar || Q8MatMul.Interleaves(isa),
            $"the {CpuIsaSupport.Name(isa)} int8 path does not use the row-interleaved kernel on this CPU");

    [Theory]
    [MemberData(nameof(Isas))]
    public void Kernel_equals_its_fused_scalar_spec_bitwise(CpuIsa isa)
    {
        SkipUnlessInterleaved(isa);
        AssertCovered(PropertyCoverage.Check(Cases, 100, c =>
        {
            var (w, x) = Quantize(c);
            var expected = new float[c.Tokens * c.Rows];
            var actual = new float[c.Tokens * c.Rows];
            Q8Reference.ComputeRowsFused(x, w, expected, 0, c.Rows);
            Q8MatMul.ComputeRows(isa, x, new Q8InterleavedWeight(w), actual, 0, c.Rows);
            AssertBitwise(expected, actual, c.ToString());
        }));
    }

    /// <summary>
    /// The fused spec rounds each block's term once (the fused add) after the rounded scale product, the row-major
    /// spec twice; both add blocks in order, so they differ within the bound of Q8MatMulTests' SIMD paths.
    /// </summary>
    [Fact]
    public void Fused_spec_matches_the_row_major_spec_within_summation_rounding()
    {
        AssertCovered(PropertyCoverage.Check(Cases, 100, c =>
        {
            var (w, x) = Quantize(c);
            var fused = new float[c.Tokens * c.Rows];
            var plain = new float[c.Tokens * c.Rows];
            Q8Reference.ComputeRowsFused(x, w, fused, 0, c.Rows);
            Q8Reference.ComputeRows(x, w, plain, 0, c.Rows);
            for (int t = 0; t < c.Tokens; t++)
                for (int o = 0; o < c.Rows; o++)
                {
                    double bound = (2 * c.Blocks + 40) * Unit * Q8MatMulTests.AbsoluteTermSum(w, x, o, t);
                    Assert.True(Math.Abs(fused[t * c.Rows + o] - plain[t * c.Rows + o]) <= bound,
                        $"{c}: y[{t}, {o}] fused {fused[t * c.Rows + o]}, row-major {plain[t * c.Rows + o]}, bound {bound}");
                }
        }));
    }

    /// <summary>Batch invariance: each token's row of a many-token call is bitwise its one-token call.</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Gemm_tiles_give_bitwise_the_gemv_result_of_each_token(CpuIsa isa)
    {
        SkipUnlessInterleaved(isa);
        AssertCovered(PropertyCoverage.Check(Cases, 100, c =>
        {
            var (w, x) = Quantize(c);
            var packed = new Q8InterleavedWeight(w);
            var all = new float[c.Tokens * c.Rows];
            Q8MatMul.ComputeRows(isa, x, packed, all, 0, c.Rows);
            float[] input = c.Activations();
            var one = new Q8Activations(c.K);
            var row = new float[c.Rows];
            for (int t = 0; t < c.Tokens; t++)
            {
                one.Quantize(input.AsSpan(t * c.K, c.K), 1);
                Q8MatMul.ComputeRows(isa, one, packed, row, 0, c.Rows);
                AssertBitwise(row, all.AsSpan(t * c.Rows, c.Rows).ToArray(), $"{c}, token {t}");
            }
        }));
    }

    /// <summary>Splits anywhere, not only at group edges: a group shared by two ranges writes each its own rows.</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Row_ranges_fill_only_their_rows_and_together_give_the_whole(CpuIsa isa)
    {
        SkipUnlessInterleaved(isa);
        var splits = from c in Cases from split in PropertyCoverage.Size(0, c.Rows) select (Case: c, Split: split);
        var seen = PropertyCoverage.Check(splits, 100, pair =>
        {
            var (c, split) = pair;
            var (w, x) = Quantize(c);
            var packed = new Q8InterleavedWeight(w);
            var whole = new float[c.Tokens * c.Rows];
            Q8MatMul.ComputeRows(isa, x, packed, whole, 0, c.Rows);
            var parts = Enumerable.Repeat(float.NaN, c.Tokens * c.Rows).ToArray();
            Q8MatMul.ComputeRows(isa, x, packed, parts, 0, split);
            for (int t = 0; t < c.Tokens; t++)
                for (int o = split; o < c.Rows; o++)
                    Assert.True(float.IsNaN(parts[t * c.Rows + o]), $"row {o} outside [0, {split}) was written");
            Q8MatMul.ComputeRows(isa, x, packed, parts, split, c.Rows);
            AssertBitwise(whole, parts, $"{c}, split {split}");
        });
        AssertCovered([.. seen.Select(p => p.Case)]);
        Assert.Contains(seen, p => p.Split == 0);
        Assert.Contains(seen, p => p.Split == p.Case.Rows);
    }

    /// <summary>
    /// Where the unsigned offset could go wrong: weights at −128 (stored 0), −127 and 127 (stored 255) against
    /// activations at ±127, whose dots are exact integers the float result must reproduce.
    /// </summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Extreme_values_give_the_exact_dot(CpuIsa isa)
    {
        SkipUnlessInterleaved(isa);
        const int k = 2 * Q8Format.BlockSize;
        sbyte[] levels = [-128, -127, 127, 0, 1, -1, 127, -128, -127];
        var values = new byte[levels.Length * k];
        for (int o = 0; o < levels.Length; o++) values.AsSpan(o * k, k).Fill((byte)levels[o]);
        var scales = new float[levels.Length * 2];
        scales.AsSpan().Fill(1f);
        var w = new Q8Weight(levels.Length, k, values, System.Runtime.InteropServices.MemoryMarshal.AsBytes(scales.AsSpan()).ToArray());
        var x = new Q8Activations(k);
        x.Quantize([.. Enumerable.Repeat(127f, Q8Format.BlockSize), .. Enumerable.Repeat(-127f, Q8Format.BlockSize),
            .. Enumerable.Repeat(-127f, k)], 2);
        var y = new float[2 * levels.Length];
        Q8MatMul.ComputeRows(isa, x, new Q8InterleavedWeight(w), y, 0, levels.Length);
        for (int o = 0; o < levels.Length; o++)
        {
            Assert.Equal(0f, y[o]); // +127 then −127 blocks cancel exactly
            Assert.Equal(-2 * Q8Format.BlockSize * 127f * levels[o], y[levels.Length + o]); // both blocks −127
        }
    }

    [Fact]
    public void A_path_without_the_interleaved_kernel_is_refused_with_a_clear_error()
    {
        var refused = Enum.GetValues<CpuIsa>().Where(isa => isa != CpuIsa.Scalar && CpuIsaSupport.IsSupported(isa) && !Q8MatMul.Interleaves(isa)).ToArray();
        Assert.SkipWhen(refused.Length == 0, "every path this CPU has uses the interleaved kernel");
        var (w, x) = Quantize(new Q8Case(4, 1, 1, 3));
        var error = Assert.Throws<PlatformNotSupportedException>(() => Q8MatMul.ComputeRows(refused[0], x, new Q8InterleavedWeight(w), new float[4], 0, 4));
        Assert.Contains("interleaved", error.Message);
    }

    [Fact]
    public void Mismatched_shapes_are_rejected()
    {
        var (w, x) = Quantize(new Q8Case(4, 2, 2, 7));
        var packed = new Q8InterleavedWeight(w);
        Assert.Throws<ArgumentException>(() => Q8MatMul.ComputeRows(CpuIsa.Scalar, x, packed, new float[4], 0, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Q8MatMul.ComputeRows(CpuIsa.Scalar, x, packed, new float[8], 2, 5));
    }

    private static void AssertBitwise(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}: [{i}] = {actual[i]}, spec {expected[i]}");
    }

    private static (Q8Weight W, Q8Activations X) Quantize(Q8Case c)
    {
        var w = Q8Weight.Quantize(c.Weights(), c.Rows, c.K);
        var x = new Q8Activations(c.K);
        x.Quantize(c.Activations(), c.Tokens);
        return (w, x);
    }
}
