using Xunit;
using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Tensors;

namespace Transformer.Kernels.Tests;

public class Q8FormatTests
{
    private static readonly Arbitrary<float[]> s_blocks =
        Gen.Choose(-1_000_000, 1_000_000).Select(v => v / 1000f).ArrayOf(Q8Format.BlockSize).ToArbitrary();

    [Fact]
    public void Every_value_is_within_half_a_step_of_its_dequantized_value_and_the_largest_maps_to_127() =>
        Prop.ForAll(s_blocks, block =>
        {
            var q = new sbyte[Q8Format.BlockSize];
            float scale = Q8Format.QuantizeBlock(block, q);
            float amax = block.Max(MathF.Abs);
            if (amax == 0) { Assert.Equal(0f, scale); return; }
            Assert.Equal(amax / 127f, scale);
            Assert.Contains(q, v => Math.Abs((int)v) == 127);
            for (int i = 0; i < q.Length; i++)
            {
                Assert.InRange(q[i], -127, 127);
                // Half a step, plus the rounding of x·(127/amax) (a few ulps of 127).
                Assert.True(MathF.Abs(block[i] - scale * q[i]) <= scale * 0.5001f, $"value {block[i]} → {q[i]}·{scale}");
            }
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void An_all_zero_block_gets_scale_zero_and_zero_values()
    {
        var q = Enumerable.Repeat((sbyte)5, Q8Format.BlockSize).ToArray();
        Assert.Equal(0f, Q8Format.QuantizeBlock(new float[Q8Format.BlockSize], q));
        Assert.All(q, v => Assert.Equal(0, v));
    }

    [Fact]
    public void A_block_too_small_for_a_normal_scale_is_flushed_to_zero()
    {
        var block = new float[Q8Format.BlockSize];
        block[3] = float.Epsilon * 1000;
        block[7] = -1.1754944e-38f * 100;
        var q = Enumerable.Repeat((sbyte)5, Q8Format.BlockSize).ToArray();
        Assert.Equal(0f, Q8Format.QuantizeBlock(block, q));
        Assert.All(q, v => Assert.Equal(0, v));

        block[7] = -1.1754944e-38f * 200; // smallest normal float ×200/127: the scale is normal again
        float scale = Q8Format.QuantizeBlock(block, q);
        Assert.True(float.IsNormal(scale));
        Assert.Equal(-127, q[7]);
    }

    [Fact]
    public void Nan_or_infinity_is_rejected_with_a_clear_error()
    {
        var block = new float[Q8Format.BlockSize];
        block[5] = float.NaN;
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => Q8Format.QuantizeBlock(block, new sbyte[Q8Format.BlockSize])).Message);
        block[5] = float.PositiveInfinity;
        Assert.Throws<ArgumentException>(() => Q8Format.QuantizeBlock(block, new sbyte[Q8Format.BlockSize]));
    }

    /// <summary>
    /// QuantizeRow takes a SIMD path where the CPU has one; it must give bitwise the scalar spec,
    /// QuantizeBlock, block by block. Values on exact half steps (k/2 · amax/127) test the
    /// round-half-to-even choice, and blocks of zeros or tiny values the flush to zero.
    /// </summary>
    [Fact]
    public void Quantizing_a_row_gives_bitwise_the_scalar_block_spec()
    {
        var halfSteps = Gen.Choose(-254, 254).Select(k => k * 0.5f).ArrayOf(Q8Format.BlockSize)
            .Select(b => { b[0] = 127f; return b; });
        var tiny = Gen.Choose(-1000, 1000).Select(v => v * 1e-39f).ArrayOf(Q8Format.BlockSize);
        var block = Gen.OneOf(s_blocks.Generator, halfSteps, tiny, Gen.Constant(new float[Q8Format.BlockSize]));
        var rows = from count in PropertyCoverage.Size(1, 64)
                   from blocks in block.ArrayOf(count)
                   select blocks.SelectMany(b => b).ToArray();
        var seen = PropertyCoverage.Check(rows, 100, row =>
        {
            int blocks = row.Length / Q8Format.BlockSize;
            var values = new sbyte[row.Length];
            var scales = new float[blocks];
            Q8Format.QuantizeRow(row, values, scales);
            var expected = new sbyte[Q8Format.BlockSize];
            for (int b = 0; b < blocks; b++)
            {
                float scale = Q8Format.QuantizeBlock(row.AsSpan(b * Q8Format.BlockSize, Q8Format.BlockSize), expected);
                Assert.Equal(scale, scales[b]);
                Assert.Equal(expected, values.AsSpan(b * Q8Format.BlockSize, Q8Format.BlockSize).ToArray());
            }
        });
        PropertyCoverage.AssertReaches(seen.Select(r => r.Length / Q8Format.BlockSize), 1, 64, "blocks per row");
    }

    [Fact]
    public void Quantizing_a_row_with_nan_or_infinity_is_rejected()
    {
        var row = new float[3 * Q8Format.BlockSize];
        row[70] = float.NaN;
        Assert.Throws<ArgumentException>(() => Q8Format.QuantizeRow(row, new sbyte[row.Length], new float[3]));
        row[70] = float.NegativeInfinity;
        Assert.Throws<ArgumentException>(() => Q8Format.QuantizeRow(row, new sbyte[row.Length], new float[3]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(48)]
    public void K_that_is_not_a_multiple_of_32_is_rejected(int k)
    {
        var error = Assert.Throws<ArgumentException>(() => Q8Weight.Quantize(new float[2 * k], 2, k));
        Assert.Contains("multiple of 32", error.Message);
    }

    [Fact]
    public void Dequantized_weight_is_within_half_a_block_step_of_the_original() =>
        Q8TestData.AssertCovered(PropertyCoverage.Check(Q8TestData.Cases, 100, c =>
        {
            float[] w = c.Weights();
            var q = Q8Weight.Quantize(w, c.Rows, c.K);
            var back = new float[w.Length];
            q.Dequantize(back);
            for (int o = 0; o < c.Rows; o++)
                for (int i = 0; i < c.K; i++)
                {
                    float scale = q.Scales[o * q.BlocksPerRow + i / Q8Format.BlockSize];
                    Assert.True(MathF.Abs(w[o * c.K + i] - back[o * c.K + i]) <= scale * 0.5001f);
                }
        }));

    [Fact]
    public void A_weight_viewed_from_tensors_computes_like_the_quantized_one()
    {
        var c = new Q8Case(5, 3, 2, 42);
        var quantized = Q8Weight.Quantize(c.Weights(), c.Rows, c.K);
        var values = new HostTensor("w.q8", DType.I8, [c.Rows, c.K], quantized.ValueBytes);
        var scales = new HostTensor("w.q8_scale", DType.F32, [c.Rows, c.Blocks], quantized.ScaleBytes);
        var viewed = Q8Weight.FromTensors(values, scales);
        Assert.Equal(quantized.Values.ToArray(), viewed.Values.ToArray());
        Assert.Equal(quantized.Scales.ToArray(), viewed.Scales.ToArray());

        var wrongScales = new HostTensor("w.q8_scale", DType.F32, [c.Rows, c.Blocks + 1], new byte[c.Rows * (c.Blocks + 1) * 4]);
        Assert.Throws<ArgumentException>(() => Q8Weight.FromTensors(values, wrongScales));
        Assert.Throws<ArgumentException>(() => Q8Weight.FromTensors(scales, scales));
    }

    [Fact]
    public void Activation_buffers_are_reused_once_large_enough()
    {
        var activations = new Q8Activations(64, initialTokens: 4);
        var x = new float[4 * 64];
        activations.Quantize(x, 4);
        long before = GC.GetAllocatedBytesForCurrentThread();
        activations.Quantize(x.AsSpan(0, 64), 1);
        activations.Quantize(x, 4);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.Equal(4, activations.Tokens);
        Assert.Throws<ArgumentException>(() => activations.Quantize(x, 3));
    }
}
