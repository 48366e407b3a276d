using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Quantized;
using Xunit;

namespace Transformer.Kernels.Tests;

/// <summary>
/// What <see cref="Q8InterleavedWeight"/> gives besides the matmul, now that it is the only copy a backend keeps:
/// rows dequantized bit for bit as from the row-major weight, its byte count, and clear errors.
/// </summary>
public class Q8InterleavedWeightTests
{
    /// <summary>1..6 blocks a row; each case is tried at every row count 1..20 (every leftover 0–7 of the 8-row groups).</summary>
    private static readonly Gen<(int Blocks, int Seed)> Cases =
        from blocks in PropertyCoverage.Size(1, 6)
        from seed in Gen.Choose(int.MinValue, int.MaxValue)
        select (blocks, seed);

    [Fact]
    public void DequantizeRow_is_bitwise_the_row_major_rows_for_every_group_leftover()
    {
        var seen = PropertyCoverage.Check(Cases, 100, c =>
        {
            for (int rows = 1; rows <= 20; rows++)
            {
                var w = Q8Weight.Quantize(new Q8Case(rows, c.Blocks, 1, c.Seed).Weights(), rows, c.Blocks * Q8Format.BlockSize);
                var packed = new Q8InterleavedWeight(w);
                int k = w.InFeatures;
                var expected = new float[k];
                var actual = new float[k];
                for (int o = 0; o < rows; o++)
                {
                    Q8Format.DequantizeRow(w.Values.Slice(o * k, k), w.Scales.Slice(o * c.Blocks, c.Blocks), expected);
                    packed.DequantizeRow(o, actual);
                    for (int i = 0; i < k; i++)
                        Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                            $"rows {rows}, blocks {c.Blocks}, seed {c.Seed}: row {o} [{i}] = {actual[i]}, row-major {expected[i]}");
                }
            }
        });
        PropertyCoverage.AssertReaches(seen.Select(c => c.Blocks), 1, 6, "blocks");
    }

    [Theory]
    [InlineData(8)]
    [InlineData(13)]
    public void ByteSize_counts_the_values_and_scales_held_padding_included(int rows)
    {
        const int blocks = 3;
        var w = Q8Weight.Quantize(new Q8Case(rows, blocks, 1, 5).Weights(), rows, blocks * Q8Format.BlockSize);
        int padded = (rows + Q8InterleavedWeight.GroupRows - 1) / Q8InterleavedWeight.GroupRows * Q8InterleavedWeight.GroupRows;
        Assert.Equal((long)padded * blocks * (Q8Format.BlockSize + sizeof(float)), new Q8InterleavedWeight(w).ByteSize);
        if (rows % Q8InterleavedWeight.GroupRows == 0) Assert.Equal(w.ByteSize, new Q8InterleavedWeight(w).ByteSize);
    }

    [Fact]
    public void DequantizeRow_rejects_a_row_outside_the_weight_and_a_wrong_destination()
    {
        var packed = new Q8InterleavedWeight(Q8Weight.Quantize(new Q8Case(5, 2, 1, 3).Weights(), 5, 2 * Q8Format.BlockSize));
        var row = new float[2 * Q8Format.BlockSize];
        Assert.Contains("row 5", Assert.Throws<ArgumentOutOfRangeException>(() => packed.DequantizeRow(5, row)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => packed.DequantizeRow(-1, row));
        Assert.Contains("destination", Assert.Throws<ArgumentException>(() => packed.DequantizeRow(0, new float[Q8Format.BlockSize])).Message);
    }
}
