using System.Runtime.InteropServices;
using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Quantized.Ggml;
using Xunit;

namespace Transformer.Kernels.Tests;

/// <summary>
/// The compact Q4_K repack's premise (<see cref="Q4KScaleFactors"/>): every super-block's products d·s and dmin·m from
/// ggml data come back bit for bit as one float32 times bytes, so the repack holds one d and dmin per super-block and
/// a byte per block; products that are not of that form are refused, and a backend then keeps the weight row-major.
/// </summary>
public class Q4KScaleFactorsTests
{
    public static TheoryData<CpuIsa> X86Isas => [CpuIsa.Avx2, CpuIsa.AvxVnni, CpuIsa.Avx512];

    /// <summary>Rows of varied magnitude (1e-6 to 1e3), some all zero, some constant, some with one outlier.</summary>
    private static readonly Gen<(int Rows, int SuperBlocks, int Seed)> Matrices =
        from rows in PropertyCoverage.Size(1, 12)
        from superBlocks in PropertyCoverage.Size(1, 3)
        from seed in Gen.Choose(int.MinValue, int.MaxValue)
        select (rows, superBlocks, seed);

    private static float[] Matrix(int rows, int k, int seed)
    {
        var random = new Random(seed);
        var values = new float[rows * k];
        for (int o = 0; o < rows; o++)
        {
            var row = values.AsSpan(o * k, k);
            float scale = MathF.Pow(10, random.Next(-6, 4));
            switch (random.Next(6))
            {
                case 0: break;
                case 1: row.Fill(scale); break;
                default:
                    for (int i = 0; i < k; i++) row[i] = (float)(random.NextDouble() * 2 - 1) * scale;
                    if (random.Next(2) == 0) row[random.Next(k)] = 50 * scale;
                    break;
            }
        }
        return values;
    }

    [Fact]
    public void Every_product_of_ggml_quantized_rows_factors_back_bitwise()
    {
        var seen = PropertyCoverage.Check(Matrices, 200, m =>
        {
            int k = m.SuperBlocks * GgmlQ4_K.BlockSize;
            var blocks = new byte[m.Rows * m.SuperBlocks * GgmlQ4_K.BlockBytes];
            GgmlQ4_K.QuantizeRow(Matrix(m.Rows, k, m.Seed), blocks);
            AssertFactorsBack(Q4KWeight.FromGgml(blocks, m.Rows, k), m.ToString());
        });
        PropertyCoverage.AssertReaches(seen.Select(m => m.Rows), 1, 12, "rows");
        PropertyCoverage.AssertReaches(seen.Select(m => m.SuperBlocks), 1, 3, "super-blocks");
    }

    /// <summary>Random ggml super-blocks: every f16 d and dmin (zero, subnormal, normal) against every 6-bit pattern.</summary>
    [Fact]
    public void Every_product_of_random_ggml_super_blocks_factors_back_bitwise()
    {
        KQuantTestData.AssertCovered(PropertyCoverage.Check(KQuantTestData.Cases, 200, c =>
            AssertFactorsBack(Q4KWeight.FromGgml(c.Q4KBlocks(), c.Rows, c.K), c.ToString())));
    }

    /// <summary>Asserts each super-block's scales and minimums factor, reproduce bitwise, and the weight repacks.</summary>
    internal static void AssertFactorsBack(Q4KWeight w, string what)
    {
        Span<byte> codes = stackalloc byte[8];
        for (int o = 0; o < w.OutFeatures; o++)
            for (int first = 0; first < w.BlocksPerRow; first += 8)
            {
                int count = Math.Min(8, w.BlocksPerRow - first);
                foreach (var products in new[] { w.Scales.Slice(o * w.BlocksPerRow + first, count).ToArray(), w.Mins.Slice(o * w.BlocksPerRow + first, count).ToArray() })
                {
                    Assert.True(Q4KScaleFactors.TryFactor(products, out float factor, codes[..count]), $"{what}: row {o}, blocks {first}.. [{string.Join(", ", products)}] do not factor");
                    for (int j = 0; j < count; j++)
                        Assert.True(BitConverter.SingleToInt32Bits(factor * codes[j]) == BitConverter.SingleToInt32Bits(products[j]),
                            $"{what}: row {o}, block {first + j}: {factor} · {codes[j]} is not {products[j]}");
                }
            }
        Assert.True(Q4KInterleavedWeight.TryRepack(w, out _), $"{what}: the weight does not repack");
    }

    [Fact]
    public void Products_of_no_float_times_bytes_are_refused()
    {
        var codes = new byte[2];
        Assert.False(Q4KScaleFactors.TryFactor([1f, MathF.PI], out _, codes));
        Assert.False(Q4KScaleFactors.TryFactor([0f, -0f], out _, codes));
        Assert.False(Q4KScaleFactors.TryFactor([1f, float.NaN], out _, codes));
        Assert.False(Q4KScaleFactors.TryFactor([1f, -1f], out _, codes));
        Assert.False(Q4KScaleFactors.TryFactor([1f, 300f], out _, codes));
        Assert.True(Q4KScaleFactors.TryFactor([-0f, -0f], out float negativeZero, codes));
        Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(negativeZero));
        Assert.Throws<ArgumentException>(() => Q4KScaleFactors.TryFactor([1f], out _, codes));
    }

    /// <summary>
    /// K need not be whole super-blocks: 10 blocks are a run of 8 and a run of 2, each with its own d and dmin; the
    /// repack keeps every value bitwise and each x86 kernel equals the spec.
    /// </summary>
    [Theory]
    [MemberData(nameof(X86Isas))]
    public void A_short_last_super_block_has_its_own_factors(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        const int rows = 11, blocks = 10, k = blocks * Q8Format.BlockSize;
        var random = new Random(29);
        var codes = new byte[rows * blocks * Q4KWeight.BlockBytes];
        random.NextBytes(codes);
        var scales = new float[rows * blocks];
        var mins = new float[rows * blocks];
        for (int o = 0; o < rows; o++)
            for (int sb = 0; sb < 2; sb++)
            {
                float d = (float)(Half)(random.NextSingle() * 0.01f), dmin = (float)(Half)(random.NextSingle() * 0.02f);
                for (int b = 8 * sb; b < Math.Min(blocks, 8 * sb + 8); b++)
                {
                    scales[o * blocks + b] = d * random.Next(64);
                    mins[o * blocks + b] = dmin * random.Next(64);
                }
            }
        var w = new Q4KWeight(rows, k, codes, MemoryMarshal.AsBytes(scales.AsSpan()).ToArray(), MemoryMarshal.AsBytes(mins.AsSpan()).ToArray());
        var packed = new Q4KInterleavedWeight(w);
        Assert.Equal(2, packed.SuperBlocksPerRow);
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
        Q4KReference.ComputeRowsFused(x, packed, spec, 0, rows);
        Q4KMatMul.ComputeRows(isa, x, packed, y, 0, rows);
        Assert.True(KQuantTestData.SameBits(spec, y), "the kernel differs from the spec on a short last super-block");
    }

    /// <summary>
    /// Scales that are arbitrary float32 (a Q4KWeight built from tensors, not ggml data) cannot be held compactly: the
    /// repack is refused with a clear message, and the backend keeps the weight row-major, whose x86 path gives its
    /// row-major kernel's bits.
    /// </summary>
    [Theory]
    [MemberData(nameof(X86Isas))]
    public void Arbitrary_scales_are_refused_and_the_backend_keeps_the_weight_row_major(CpuIsa isa)
    {
        Q8TestData.SkipUnlessSupported(isa);
        var c = new KQuantCase(13, 2, 5, 41);
        var ggml = Q4KWeight.FromGgml(c.Q4KBlocks(), c.Rows, c.K);
        var scales = ggml.Scales.ToArray();
        scales[3 * c.Blocks + 9] = MathF.PI * 1e-3f;
        var w = new Q4KWeight(c.Rows, c.K, ggml.Memory.Codes, MemoryMarshal.AsBytes(scales.AsSpan()).ToArray(), ggml.Memory.Mins);
        Assert.False(Q4KInterleavedWeight.TryRepack(w, out var none));
        Assert.Null(none);
        Assert.Contains("not one float32 times bytes", Assert.Throws<ArgumentException>(() => new Q4KInterleavedWeight(w)).Message);

        using var backend = new CpuBackend(new CpuBackendOptions { Isa = isa, Threads = 1 });
        using var prepared = backend.PrepareQuantizedWeight("w", w);
        var q = Assert.IsType<CpuQ4KWeight>(prepared);
        Assert.Same(w, q.Weight);
        Assert.Null(q.Interleaved);
        var input = c.Activations();
        using var xs = backend.Upload(input, c.Tokens, c.K);
        using var ys = backend.Allocate(c.Tokens, c.Rows);
        backend.MatMul(xs, [prepared], [ys]);
        var actual = new float[c.Tokens * c.Rows];
        backend.Download(ys, actual);
        var expected = new float[c.Tokens * c.Rows];
        Q4KMatMul.ComputeRows(isa, c.Quantized(), w, expected, 0, c.Rows);
        Assert.True(KQuantTestData.SameBits(expected, actual), "the backend's row-major fallback differs from the row-major kernel");
    }
}
