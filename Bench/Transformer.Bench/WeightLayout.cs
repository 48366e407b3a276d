namespace Transformer.Bench;

/// <summary>How a quantized weight is laid out for its matmul (the layout suites measure one against the other).</summary>
public enum WeightLayout
{
    /// <summary>Row-major (<c>Q8Weight</c>, <c>Q4KWeight</c>, <c>Q6KWeight</c>): the int8 driver's 4-row × 4-token tiles with horizontal sums.</summary>
    RowMajor,

    /// <summary>The 8-row interleaved repack (<c>Q8InterleavedWeight</c>, …): 8-row × 4-token tiles, one row per lane.</summary>
    Interleaved,
}
