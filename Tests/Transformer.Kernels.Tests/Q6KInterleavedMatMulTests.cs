using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;
using Xunit;

namespace Transformer.Kernels.Tests;

/// <summary>
/// The row-interleaved Q6_K path (<see cref="Q6KInterleavedWeight"/>): the repack keeps every value bit for bit, its
/// unsigned block dot is the signed one exactly, the kernel on every x86 path equals the fused scalar spec
/// <see cref="Q6KReference.ComputeRowsFused"/> bit for bit, and that spec is the row-major spec within float rounding.
/// </summary>
public class Q6KInterleavedMatMulTests
{
    private const double Unit = 1.0 / (1 << 24);

    /// <summary>Rows 1..20: 8-row groups with every leftover 0–7, up to three groups; one to three super-blocks; 1..9 tokens (4-token tiles plus tails).</summary>
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

    /// <summary>The x86 paths, which all run the interleaved kernel.</summary>
    public static TheoryData<CpuIsa> X86Isas => [CpuIsa.Avx2, CpuIsa.AvxVnni, CpuIsa.Avx512];

    public static TheoryData<CpuIsa> Isas => Q8TestData.AllIsas();


    [Fact]
    public void The_repack_dequantizes_every_row_bitwise_as_the_row_major_weight()
    {
        AssertCovered(PropertyCoverage.Check(Cases, 100, c =>
        {
            var w = Weight(c);
            var packed = new Q6KInterleavedWeight(w);
            Assert.Equal((w.OutFeatures, w.InFeatures, (w.OutFeatures + 7) / 8), (packed.OutFeatures, packed.InFeatures, packed.Groups));
            var expected = new float[c.K];
            var actual = new float[c.K];
            for (int o = 0; o < c.Rows; o++)
            {
                w.DequantizeRow(o, expected);
                packed.DequantizeRow(o, actual);
                Assert.True(KQuantTestData.SameBits(expected, actual), $"{c}: row {o} of the repack differs");
            }
        }));
    }

    /// <summary>Codes biased to 0 and 63, scales to −128 and 127, activations to ±127: the unsigned form is the signed dot exactly.</summary>
    [Fact]
    public void The_unsigned_block_dot_is_the_signed_block_dot_exactly()
    {
        var codes = Gen.Frequency((4, Gen.Choose(0, 63)), (1, Gen.Elements(0, 63, 32))).Select(q => (byte)q).ArrayOf(32);
        var scale = Gen.Frequency((3, Gen.Choose(-128, 127)), (1, Gen.Elements(-128, 127, 0))).Select(s => (sbyte)s);
        var scales = from low in scale from high in scale select (Low: low, High: high);
        Prop.ForAll(codes.ToArbitrary(), scales.ToArbitrary(), Q8TestData.Block.ToArbitrary(), (q, s, x) =>
        {
            var (low, high) = s;
            var block = new byte[Q6KWeight.BlockBytes];
            Q6KWeight.Pack(q, low, high, block);
            int sumLow = x.Take(16).Sum(v => (int)v), sumHigh = x.Skip(16).Sum(v => (int)v);
            Assert.Equal(Q6KReference.BlockDot(block, x), Q6KReference.UnsignedBlockDot(q, low, high, x, sumLow, sumHigh));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Per_sixteen_activation_sums_are_the_sums_of_the_quantized_values()
    {
        var x = new KQuantCase(1, 2, 3, 5).Quantized();
        var sums = x.SubBlockSums();
        Assert.Equal(x.Values.Length / 16, sums.Length);
        for (int s = 0; s < sums.Length; s++)
        {
            int sum = 0;
            foreach (sbyte v in x.Values.Slice(16 * s, 16)) sum += v;
            Assert.Equal(sum, sums[s]);
        }
    }

    /// <summary>
    /// The fused spec rounds each block's term once after the rounded scale product, the row-major spec twice; both add
    /// blocks in order, so they differ within the bound of Q6KMatMulTests' SIMD paths.
    /// </summary>
    [Fact]
    public void Fused_spec_matches_the_row_major_spec_within_float_rounding()
    {
        AssertCovered(PropertyCoverage.Check(Cases, 100, c =>
        {
            var w = Weight(c);
            var x = c.Quantized();
            var fused = new float[c.Tokens * c.Rows];
            var plain = new float[c.Tokens * c.Rows];
            Q6KReference.ComputeRowsFused(x, new Q6KInterleavedWeight(w), fused, 0, c.Rows);
            Q6KReference.ComputeRows(x, w, plain, 0, c.Rows);
            for (int t = 0; t < c.Tokens; t++)
                for (int o = 0; o < c.Rows; o++)
                {
                    double bound = (2 * c.Blocks + 40) * Unit * TermMagnitude(w, x, o, t, c) + 1e-30;
                    Assert.True(Math.Abs(fused[t * c.Rows + o] - plain[t * c.Rows + o]) <= bound,
                        $"{c}: y[{t}, {o}] fused {fused[t * c.Rows + o]}, row-major {plain[t * c.Rows + o]}, bound {bound}");
                }
        }));
    }

    [Theory]
    [MemberData(nameof(X86Isas))]
    public void Each_x86_path_equals_the_fused_spec_bitwise(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        AssertCovered(PropertyCoverage.Check(Cases, 100, c =>
        {
            var packed = new Q6KInterleavedWeight(Weight(c));
            var x = c.Quantized();
            var expected = new float[c.Tokens * c.Rows];
            var actual = new float[c.Tokens * c.Rows];
            Q6KReference.ComputeRowsFused(x, packed, expected, 0, c.Rows);
            Q6KMatMul.ComputeRows(isa, x, packed, actual, 0, c.Rows);
            Assert.True(KQuantTestData.SameBits(expected, actual), $"{c}: the {isa} kernel differs from the spec");
        }));
    }

    /// <summary>The ISA dispatch: Scalar runs the spec, the x86 paths the kernel with this CPU's instruction; others are refused.</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void Every_interleaving_isa_equals_the_fused_spec_bitwise(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        var c = new KQuantCase(19, 2, 6, 23);
        var packed = new Q6KInterleavedWeight(Weight(c));
        var x = c.Quantized();
        var actual = new float[c.Tokens * c.Rows];
        if (isa != CpuIsa.Scalar && !Q6KMatMul.Interleaves(isa))
        {
            var error = Assert.Throws<PlatformNotSupportedException>(() => Q6KMatMul.ComputeRows(isa, x, packed, actual, 0, c.Rows));
            Assert.Contains("interleaved", error.Message);
            return;
        }
        var expected = new float[c.Tokens * c.Rows];
        Q6KReference.ComputeRowsFused(x, packed, expected, 0, c.Rows);
        Q6KMatMul.ComputeRows(isa, x, packed, actual, 0, c.Rows);
        Assert.True(KQuantTestData.SameBits(expected, actual), $"{isa} differs from the spec");
    }

    /// <summary>
    /// Batch invariance and thread-split independence: each token's row of a many-token call is bitwise its one-token
    /// call, and row ranges split anywhere (inside a group too) write only their rows and together give the whole.
    /// </summary>
    [Theory]
    [MemberData(nameof(X86Isas))]
    public void Gemm_tiles_and_row_ranges_give_bitwise_the_gemv_result(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        var splits = from c in Cases from split in PropertyCoverage.Size(0, c.Rows) select (Case: c, Split: split);
        var seen = PropertyCoverage.Check(splits, 100, pair =>
        {
            var (c, split) = pair;
            var packed = new Q6KInterleavedWeight(Weight(c));
            var x = c.Quantized();
            var all = new float[c.Tokens * c.Rows];
            Q6KMatMul.ComputeRows(isa, x, packed, all, 0, c.Rows);
            var parts = Enumerable.Repeat(float.NaN, c.Tokens * c.Rows).ToArray();
            Q6KMatMul.ComputeRows(isa, x, packed, parts, 0, split);
            for (int t = 0; t < c.Tokens; t++)
                for (int o = split; o < c.Rows; o++)
                    Assert.True(float.IsNaN(parts[t * c.Rows + o]), $"row {o} outside [0, {split}) was written");
            Q6KMatMul.ComputeRows(isa, x, packed, parts, split, c.Rows);
            Assert.True(KQuantTestData.SameBits(all, parts), $"{c}: row ranges split at {split} differ from the whole");
            float[] input = c.Activations();
            var one = new Q8Activations(c.K);
            var row = new float[c.Rows];
            for (int t = 0; t < c.Tokens; t++)
            {
                one.Quantize(input.AsSpan(t * c.K, c.K), 1);
                Q6KMatMul.ComputeRows(isa, one, packed, row, 0, c.Rows);
                Assert.True(KQuantTestData.SameBits(row, all.AsSpan(t * c.Rows, c.Rows).ToArray()), $"{c}: token {t}'s GEMV differs from its GEMM row");
            }
        });
        AssertCovered([.. seen.Select(p => p.Case)]);
        Assert.Contains(seen, p => p.Split == 0);
        Assert.Contains(seen, p => p.Split == p.Case.Rows);
    }

    /// <summary>
    /// Where the unsigned codes and the −32·Σx correction could go wrong: codes 0 and 63 with scales −128 and 127 against
    /// activations at ±127, whose sums are exact in float, so the result must be the exact integer.
    /// </summary>
    [Theory]
    [MemberData(nameof(X86Isas))]
    public void Extreme_codes_and_scales_give_the_exact_dot(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        const int k = 256, blocks = k / Q8Format.BlockSize;
        (int Code, sbyte Low, sbyte High)[] rows = [(0, -128, -128), (63, 127, 127), (0, 127, -128), (63, -128, 127), (0, -128, 127), (63, 127, -128), (32, 127, 127), (0, 1, -1), (63, -128, -128)];
        var bytes = new byte[rows.Length * blocks * Q6KWeight.BlockBytes];
        for (int o = 0; o < rows.Length; o++)
            for (int b = 0; b < blocks; b++)
                Q6KWeight.Pack(Enumerable.Repeat((byte)rows[o].Code, 32).ToArray(), rows[o].Low, rows[o].High,
                    bytes.AsSpan((o * blocks + b) * Q6KWeight.BlockBytes, Q6KWeight.BlockBytes));
        var ones = new float[rows.Length * blocks];
        ones.AsSpan().Fill(1f);
        var w = new Q6KWeight(rows.Length, k, bytes, System.Runtime.InteropServices.MemoryMarshal.AsBytes(ones.AsSpan()).ToArray());
        // Token 0: every value +127; token 1: −127; token 2: blocks alternating +127 and −127; token 3: halves of each block opposite.
        float[][] tokens =
        [
            [.. Enumerable.Repeat(127f, k)],
            [.. Enumerable.Repeat(-127f, k)],
            [.. Enumerable.Range(0, k).Select(i => i / 32 % 2 == 0 ? 127f : -127f)],
            [.. Enumerable.Range(0, k).Select(i => i % 32 < 16 ? 127f : -127f)],
        ];
        var x = new Q8Activations(k);
        x.Quantize(tokens.SelectMany(v => v).ToArray(), tokens.Length);
        var y = new float[tokens.Length * rows.Length];
        Q6KMatMul.ComputeRows(isa, x, new Q6KInterleavedWeight(w), y, 0, rows.Length);
        for (int t = 0; t < tokens.Length; t++)
            for (int o = 0; o < rows.Length; o++)
            {
                long exact = 0;
                for (int i = 0; i < k; i++) exact += (long)(rows[o].Code - 32) * (i % 32 < 16 ? rows[o].Low : rows[o].High) * (long)tokens[t][i];
                Assert.Equal((float)exact, y[t * rows.Length + o]);
            }
    }

    /// <summary>Per group and block 192 code and 16 scale bytes, per group and super-block 8 d's: 6.625 bits a weight.</summary>
    [Theory]
    [InlineData(8)]
    [InlineData(13)]
    public void ByteSize_counts_codes_sub_block_scales_and_one_d_per_super_block(int rows)
    {
        var c = new KQuantCase(rows, 2, 1, 5);
        var packed = new Q6KInterleavedWeight(Weight(c));
        int groups = (rows + 7) / 8;
        Assert.Equal((long)groups * (c.Blocks * (192 + 16) + c.SuperBlocks * 8 * sizeof(float)), packed.ByteSize);
        if (rows % 8 == 0) Assert.Equal(6.625, packed.ByteSize * 8.0 / ((long)rows * c.K));
    }

    /// <summary>
    /// K need not be whole super-blocks: 10 blocks are a run of 8 and a run of 2, each with its own d; the repack keeps
    /// every value and the kernel equals the spec. Blocks of one run with different d's cannot be repacked.
    /// </summary>
    [Theory]
    [MemberData(nameof(X86Isas))]
    public void A_short_last_super_block_has_its_own_d_and_mixed_d_within_one_is_refused(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        const int rows = 11, blocks = 10, k = blocks * Q8Format.BlockSize;
        var random = new Random(17);
        var bytes = new byte[rows * blocks * Q6KWeight.BlockBytes];
        var codes = new byte[32];
        for (int block = 0; block < rows * blocks; block++)
        {
            for (int i = 0; i < codes.Length; i++) codes[i] = (byte)random.Next(64);
            Q6KWeight.Pack(codes, (sbyte)random.Next(-128, 128), (sbyte)random.Next(-128, 128), bytes.AsSpan(block * Q6KWeight.BlockBytes, Q6KWeight.BlockBytes));
        }
        var d = new float[rows * blocks];
        for (int o = 0; o < rows; o++)
            for (int b = 0; b < blocks; b++) d[o * blocks + b] = (o + 1) * (b < 8 ? 0.001f : 0.003f);
        var w = new Q6KWeight(rows, k, bytes, System.Runtime.InteropServices.MemoryMarshal.AsBytes(d.AsSpan()).ToArray());
        var packed = new Q6KInterleavedWeight(w);
        var expected = new float[k];
        var actual = new float[k];
        for (int o = 0; o < rows; o++)
        {
            w.DequantizeRow(o, expected);
            packed.DequantizeRow(o, actual);
            Assert.True(KQuantTestData.SameBits(expected, actual), $"row {o} of the repack differs");
        }
        var x = new Q8Activations(k);
        x.Quantize(Enumerable.Range(0, 5 * k).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray(), 5);
        var spec = new float[x.Tokens * rows];
        var y = new float[x.Tokens * rows];
        Q6KReference.ComputeRowsFused(x, packed, spec, 0, rows);
        Q6KMatMul.ComputeRows(isa, x, packed, y, 0, rows);
        Assert.True(KQuantTestData.SameBits(spec, y), "the kernel differs from the spec on a short last super-block");

        d[3 * blocks + 5] *= 2;
        var mixed = new Q6KWeight(rows, k, bytes, System.Runtime.InteropServices.MemoryMarshal.AsBytes(d.AsSpan()).ToArray());
        Assert.False(Q6KInterleavedWeight.CanRepack(mixed));
        Assert.Contains("share one d", Assert.Throws<ArgumentException>(() => new Q6KInterleavedWeight(mixed)).Message);
    }

    [Fact]
    public void Only_the_x86_paths_interleave_and_shapes_are_checked()
    {
        Assert.True(Q6KMatMul.Interleaves(CpuIsa.Avx2) && Q6KMatMul.Interleaves(CpuIsa.AvxVnni) && Q6KMatMul.Interleaves(CpuIsa.Avx512));
        Assert.False(Q6KMatMul.Interleaves(CpuIsa.Scalar) || Q6KMatMul.Interleaves(CpuIsa.Neon) || Q6KMatMul.Interleaves(CpuIsa.NeonDp));
        var c = new KQuantCase(4, 1, 2, 7);
        var packed = new Q6KInterleavedWeight(Weight(c));
        Assert.Throws<ArgumentException>(() => Q6KMatMul.ComputeRows(CpuIsa.Scalar, c.Quantized(), packed, new float[4], 0, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Q6KMatMul.ComputeRows(CpuIsa.Scalar, c.Quantized(), packed, new float[8], 2, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => packed.DequantizeRow(4, new float[c.K]));
        Assert.Throws<ArgumentException>(() => packed.DequantizeRow(0, new float[c.K - 1]));
    }

    private static Q6KWeight Weight(KQuantCase c) => Q6KWeight.FromGgml(c.Q6KBlocks(), c.Rows, c.K);

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
