using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;
using Xunit;

namespace Transformer.Kernels.Tests;

/// <summary>
/// The row-interleaved Q4_K path (<see cref="Q4KInterleavedWeight"/>): each instruction variant held bitwise to its
/// scalar spec <see cref="Q4KReference.ComputeRowsFused"/>, that spec held to the row-major spec within float rounding,
/// batch and row-range invariance, and the repack's rows bitwise the row-major ones.
/// </summary>
public class Q4KInterleavedMatMulTests
{
    private const double Unit = 1.0 / (1 << 24);

    /// <summary>Rows 1..20: 8-row groups with every leftover 0–7, up to three groups; 1..3 super-blocks; 1..9 tokens (4-token tiles and the 1-token tail).</summary>
    private static readonly Gen<KQuantCase> Cases =
        from rows in PropertyCoverage.Size(1, 20)
        from superBlocks in PropertyCoverage.Size(1, 3)
        from tokens in PropertyCoverage.Size(1, 9)
        from seed in Gen.Choose(int.MinValue, int.MaxValue)
        select new KQuantCase(rows, superBlocks, tokens, seed);

    private static void AssertCovered(IReadOnlyList<KQuantCase> seen)
    {
        PropertyCoverage.AssertReaches(seen.Select(c => c.Rows), 1, 20, "rows");
        PropertyCoverage.AssertReaches(seen.Select(c => c.SuperBlocks), 1, 3, "super-blocks");
        PropertyCoverage.AssertReaches(seen.Select(c => c.Tokens), 1, 9, "tokens");
    }

    /// <summary>Scalar (the spec itself) and the x86 paths: AVX2 runs the vpmaddubsw variant, AVX-VNNI the vpdpbusd one.</summary>
    public static TheoryData<CpuIsa> Isas() => [CpuIsa.Scalar, CpuIsa.Avx2, CpuIsa.AvxVnni, CpuIsa.Avx512];

    private static void SkipUnlessRunnable(CpuIsa isa) =>
        Assert.SkipUnless(isa == CpuIsa.Scalar || CpuIsaSupport.IsSupported(isa), $"{CpuIsaSupport.Name(isa)} is not available on this CPU");

    [Fact]
    public void The_x86_paths_interleave_and_the_avx2_and_avx_vnni_paths_pick_the_two_instruction_variants()
    {
        Assert.True(Q4KMatMul.Interleaves(CpuIsa.Avx2) && Q4KMatMul.Interleaves(CpuIsa.AvxVnni) && Q4KMatMul.Interleaves(CpuIsa.Avx512));
        Assert.False(Q4KMatMul.Interleaves(CpuIsa.Scalar) || Q4KMatMul.Interleaves(CpuIsa.Neon) || Q4KMatMul.Interleaves(CpuIsa.NeonDp));
        Assert.False(Q4KMatMul.UsesVpdpbusd(CpuIsa.Avx2));
        Assert.True(Q4KMatMul.UsesVpdpbusd(CpuIsa.AvxVnni));
        Assert.Equal(CpuIsaSupport.IsSupported(CpuIsa.AvxVnni), Q4KMatMul.UsesVpdpbusd(CpuIsa.Avx512));
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Kernel_equals_its_fused_scalar_spec_bitwise(CpuIsa isa)
    {
        SkipUnlessRunnable(isa);
        AssertCovered(PropertyCoverage.Check(Cases, 100, c =>
        {
            var (packed, x) = Prepare(c);
            var expected = new float[c.Tokens * c.Rows];
            var actual = new float[c.Tokens * c.Rows];
            Q4KReference.ComputeRowsFused(x, packed, expected, 0, c.Rows);
            Q4KMatMul.ComputeRows(isa, x, packed, actual, 0, c.Rows);
            AssertBitwise(expected, actual, c.ToString());
        }));
    }

    /// <summary>
    /// The fused spec rounds each term once (the fused add) after the rounded scale product and sums the minimums
    /// apart; the row-major spec rounds each product and sum. Both add blocks in order, so they differ within the
    /// bound Q4KMatMulTests holds its SIMD paths to (twice: each spec's own error against the exact value).
    /// </summary>
    [Fact]
    public void Fused_spec_matches_the_row_major_spec_within_float_rounding()
    {
        AssertCovered(PropertyCoverage.Check(Cases, 100, c =>
        {
            var w = Q4KWeight.FromGgml(c.Q4KBlocks(), c.Rows, c.K);
            var x = c.Quantized();
            var fused = new float[c.Tokens * c.Rows];
            var plain = new float[c.Tokens * c.Rows];
            Q4KReference.ComputeRowsFused(x, new Q4KInterleavedWeight(w), fused, 0, c.Rows);
            Q4KReference.ComputeRows(x, w, plain, 0, c.Rows);
            for (int t = 0; t < c.Tokens; t++)
                for (int o = 0; o < c.Rows; o++)
                {
                    double bound = (4 * c.Blocks + 40) * Unit * TermMagnitude(w, x, o, t, c) + 1e-30;
                    Assert.True(Math.Abs(fused[t * c.Rows + o] - plain[t * c.Rows + o]) <= bound,
                        $"{c}: y[{t}, {o}] fused {fused[t * c.Rows + o]}, row-major {plain[t * c.Rows + o]}, bound {bound}");
                }
        }));
    }

    /// <summary>
    /// Batch invariance (each token's row of a many-token call is bitwise its one-token call) and thread-split
    /// independence (any split, group edges or not, writes only its rows and together gives the whole).
    /// </summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Gemm_tiles_and_row_ranges_give_bitwise_the_gemv_result(CpuIsa isa)
    {
        SkipUnlessRunnable(isa);
        var splits = from c in Cases from split in PropertyCoverage.Size(0, c.Rows) select (Case: c, Split: split);
        var seen = PropertyCoverage.Check(splits, 100, pair =>
        {
            var (c, split) = pair;
            var (packed, x) = Prepare(c);
            var all = new float[c.Tokens * c.Rows];
            Q4KMatMul.ComputeRows(isa, x, packed, all, 0, c.Rows);
            var parts = Enumerable.Repeat(float.NaN, c.Tokens * c.Rows).ToArray();
            Q4KMatMul.ComputeRows(isa, x, packed, parts, 0, split);
            for (int t = 0; t < c.Tokens; t++)
                for (int o = split; o < c.Rows; o++)
                    Assert.True(float.IsNaN(parts[t * c.Rows + o]), $"row {o} outside [0, {split}) was written");
            Q4KMatMul.ComputeRows(isa, x, packed, parts, split, c.Rows);
            AssertBitwise(all, parts, $"{c}, split {split}");
            float[] input = c.Activations();
            var one = new Q8Activations(c.K);
            var row = new float[c.Rows];
            for (int t = 0; t < c.Tokens; t++)
            {
                one.Quantize(input.AsSpan(t * c.K, c.K), 1);
                Q4KMatMul.ComputeRows(isa, one, packed, row, 0, c.Rows);
                AssertBitwise(row, all.AsSpan(t * c.Rows, c.Rows).ToArray(), $"{c}, token {t}");
            }
        });
        AssertCovered([.. seen.Select(p => p.Case)]);
        Assert.Contains(seen, p => p.Split == 0);
        Assert.Contains(seen, p => p.Split == p.Case.Rows);
    }

    /// <summary>
    /// Each of a block's 32 codes meets the activation of its own value index, in every row lane: a single code 1 at
    /// value i of row r (all else 0, scale 1, minimum 0) against activations i + 1 gives i + 1 in row r alone.
    /// </summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Codes_meet_the_activation_of_their_value_index_in_their_own_row(CpuIsa isa)
    {
        SkipUnlessRunnable(isa);
        const int rows = 9, k = 256, blocks = k / Q8Format.BlockSize;
        var x = new Q8Activations(k);
        x.Quantize([.. Enumerable.Range(0, k).Select(i => (float)(i % 32 + 1))], 1);
        float xs = x.Scales[0];
        var y = new float[rows];
        foreach (int row in new[] { 0, 5, 8 })
            for (int value = 0; value < Q8Format.BlockSize; value++)
            {
                var codes = new byte[rows * k / 2];
                codes[row * k / 2 + 3 * Q4KWeight.BlockBytes + value % 16] = value < 16 ? (byte)0x01 : (byte)0x10;
                var ones = Enumerable.Repeat(1f, rows * blocks).ToArray();
                var w = new Q4KWeight(rows, k, codes, System.Runtime.InteropServices.MemoryMarshal.AsBytes(ones.AsSpan()).ToArray(), new byte[rows * blocks * 4]);
                Q4KMatMul.ComputeRows(isa, x, new Q4KInterleavedWeight(w), y, 0, rows);
                for (int o = 0; o < rows; o++)
                    Assert.True((o == row ? x.Values[value] * xs : 0f) == y[o], $"row {row}, value {value}: y[{o}] = {y[o]}");
            }
    }

    /// <summary>Every code 15 against ±127: the largest dots, where the vpmaddubsw variant's int16 sums are fullest.</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Extreme_codes_give_the_exact_dot(CpuIsa isa)
    {
        SkipUnlessRunnable(isa);
        const int rows = 3, k = 256, blocks = k / Q8Format.BlockSize;
        var ones = Enumerable.Repeat(1f, rows * blocks).ToArray();
        var scales = System.Runtime.InteropServices.MemoryMarshal.AsBytes(ones.AsSpan()).ToArray();
        var w = new Q4KWeight(rows, k, Enumerable.Repeat((byte)0xFF, rows * k / 2).ToArray(), scales, new byte[rows * blocks * 4]);
        var x = new Q8Activations(k);
        x.Quantize([.. Enumerable.Repeat(127f, k), .. Enumerable.Repeat(-127f, k)], 2);
        var y = new float[2 * rows];
        Q4KMatMul.ComputeRows(isa, x, new Q4KInterleavedWeight(w), y, 0, rows);
        for (int o = 0; o < rows; o++)
        {
            Assert.Equal(k * 15f * 127f, y[o]);
            Assert.Equal(-k * 15f * 127f, y[rows + o]);
        }
    }

    [Fact]
    public void DequantizeRow_is_bitwise_the_row_major_rows_for_every_group_leftover()
    {
        AssertCovered(PropertyCoverage.Check(Cases, 100, c =>
        {
            var w = Q4KWeight.FromGgml(c.Q4KBlocks(), c.Rows, c.K);
            var packed = new Q4KInterleavedWeight(w);
            var expected = new float[c.K];
            var actual = new float[c.K];
            for (int o = 0; o < c.Rows; o++)
            {
                w.DequantizeRow(o, expected);
                packed.DequantizeRow(o, actual);
                AssertBitwise(expected, actual, $"{c}: row {o}");
            }
        }));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(13)]
    public void ByteSize_counts_codes_scale_bytes_and_one_d_and_dmin_per_super_block_padding_included(int rows)
    {
        var c = new KQuantCase(rows, 2, 1, 5);
        var packed = new Q4KInterleavedWeight(Q4KWeight.FromGgml(c.Q4KBlocks(), rows, c.K));
        int groups = (rows + 7) / 8;
        Assert.Equal((long)groups * (c.Blocks * (128 + 8 + 8) + c.SuperBlocks * 2 * 8 * sizeof(float)), packed.ByteSize);
        if (rows % 8 == 0) Assert.Equal(4.75, packed.ByteSize * 8.0 / ((long)rows * c.K));
    }

    [Fact]
    public void Bad_rows_shapes_and_paths_without_the_kernel_are_rejected_clearly()
    {
        var c = new KQuantCase(5, 1, 2, 3);
        var (packed, x) = Prepare(c);
        Assert.Throws<ArgumentOutOfRangeException>(() => packed.DequantizeRow(5, new float[c.K]));
        Assert.Throws<ArgumentException>(() => packed.DequantizeRow(0, new float[c.K - 1]));
        Assert.Throws<ArgumentException>(() => Q4KMatMul.ComputeRows(CpuIsa.Scalar, x, packed, new float[5], 0, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Q4KMatMul.ComputeRows(CpuIsa.Scalar, x, packed, new float[10], 2, 6));
        var error = Assert.Throws<PlatformNotSupportedException>(() => Q4KMatMul.ComputeRows(CpuIsa.Neon, x, packed, new float[10], 0, 5));
        Assert.Contains("interleaved", error.Message);
    }

    /// <summary>Σ_b |(d·s)·sx·Σ|q·x|| + |(dmin·m)·(sx·Σx)|: the magnitude the float rounding is relative to.</summary>
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
            sum += Math.Abs(w.Scales[block] * x.Scales[t * c.Blocks + b] * dot) + Math.Abs(w.Mins[block] * x.ScaledSums()[t * c.Blocks + b]);
        }
        return sum;
    }

    private static void AssertBitwise(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}: [{i}] = {actual[i]}, spec {expected[i]}");
    }

    private static (Q4KInterleavedWeight W, Q8Activations X) Prepare(KQuantCase c) =>
        (new Q4KInterleavedWeight(Q4KWeight.FromGgml(c.Q4KBlocks(), c.Rows, c.K)), c.Quantized());
}
