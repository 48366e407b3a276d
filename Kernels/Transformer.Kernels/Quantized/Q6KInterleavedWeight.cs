using Transformer.Kernels.Quantized.Ggml;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// A <see cref="Q6KWeight"/> repacked once at load for the row-interleaved Q6_K kernel (<see cref="Q6KInterleavedKernel"/>),
/// on the model of <see cref="Q8InterleavedWeight"/>: rows in groups of <see cref="GroupRows"/>, and per group and
/// 32-value block the 6-bit codes q ∈ [0, 63] of the 8 rows arranged so that chunk c (values 4c..4c+3) of all 8 rows,
/// row r's 4 bytes in int32 lane r, comes out of an and, a shift and an or: vpdpbusd (or vpmaddubsw) against a
/// broadcast 4-byte activation chunk then leaves each row's partial dot in its own lane, with no horizontal sums.
/// </summary>
/// <remarks>
/// Per (group, block), <see cref="GroupBlockCodeBytes"/> = 192 bytes, still 6 bits a code: four 32-byte vectors of
/// nibbles (vector v, lane r, byte j: value 4v + j's low nibble in bits 0–3, value 4(v + 4) + j's in bits 4–7), then
/// two of high bit pairs (vector h, lane r, byte j, bits 2f..2f+1: value 4(4h + f) + j's). Chunks 0–3 are the first
/// sub-block of 16, chunks 4–7 the second. Beside them the 8 rows' int8 sub-block scales (8 first, then 8 second);
/// the 8 rows' float32 d once per (group, super-block of <see cref="SuperBlockBlocks"/> blocks), since ggml's d is per
/// super-block: 212 bytes per group and block, 6.625 bits a weight against the file's 6.5625. Codes are stored unsigned (vpdpbusd multiplies unsigned by signed bytes); the kernel
/// subtracts 32·Σx per sub-block (<see cref="Q8Activations.SubBlockSums"/>) to keep the dot exact. Padding rows of
/// the last group are code 0 with scales 0: they contribute nothing and are never stored.
/// </remarks>
public sealed class Q6KInterleavedWeight
{
    /// <summary>Rows per group: one per int32 lane of a 256-bit vector.</summary>
    public const int GroupRows = InterleavedTiles.Rows;

    /// <summary>Values of one row in one chunk: the bytes a vpdpbusd lane sums.</summary>
    internal const int ChunkValues = InterleavedTiles.ChunkValues;

    /// <summary>Code bytes of one group's block: 4 nibble vectors and 2 high-pair vectors of 32 bytes.</summary>
    internal const int GroupBlockCodeBytes = 6 * GroupRows * ChunkValues;

    /// <summary>Sub-block scale bytes of one group's block: 8 first-half scales, then 8 second-half.</summary>
    internal const int GroupBlockScaleBytes = 2 * GroupRows;

    /// <summary>Blocks of 32 that share one d: a ggml super-block of 256.</summary>
    internal const int SuperBlockBlocks = GgmlQ6_K.BlockSize / Q8Format.BlockSize;

    private const int ChunkBytes = GroupRows * ChunkValues;
    private const int HighOffset = 4 * ChunkBytes;

    private readonly byte[] _codes;
    private readonly sbyte[] _subScales;
    private readonly float[] _scales;

    /// <summary>
    /// Whether <paramref name="source"/> can be repacked: every run of <see cref="SuperBlockBlocks"/> blocks of a row
    /// (the last one possibly shorter) has one d, bit for bit, as every weight from ggml data has.
    /// </summary>
    public static bool CanRepack(Q6KWeight source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var scales = source.Scales;
        for (int block = 0; block < scales.Length; block++)
            if (block % source.BlocksPerRow % SuperBlockBlocks != 0
                && BitConverter.SingleToInt32Bits(scales[block]) != BitConverter.SingleToInt32Bits(scales[block - 1]))
                return false;
        return true;
    }

    /// <summary>
    /// Repacks <paramref name="source"/>. Nothing here refers to the source afterwards, so a caller that drops it
    /// holds one copy: the matmul, its scalar spec and embedding lookups (<see cref="DequantizeRow"/>) read this layout.
    /// </summary>
    /// <exception cref="ArgumentException">The blocks of a super-block do not share one d (see <see cref="CanRepack"/>).</exception>
    public Q6KInterleavedWeight(Q6KWeight source)
    {
        if (!CanRepack(source))
            throw new ArgumentException("the blocks of a Q6_K super-block do not share one d, so the interleaved layout cannot hold them", nameof(source));
        OutFeatures = source.OutFeatures;
        InFeatures = source.InFeatures;
        BlocksPerRow = source.BlocksPerRow;
        Groups = (OutFeatures + GroupRows - 1) / GroupRows;
        SuperBlocksPerRow = (BlocksPerRow + SuperBlockBlocks - 1) / SuperBlockBlocks;
        long groupBlocks = (long)Groups * BlocksPerRow;
        _codes = new byte[groupBlocks * GroupBlockCodeBytes];
        _subScales = new sbyte[groupBlocks * GroupBlockScaleBytes];
        _scales = new float[(long)Groups * SuperBlocksPerRow * GroupRows];
        Span<sbyte> values = stackalloc sbyte[Q8Format.BlockSize];
        for (int o = 0; o < OutFeatures; o++)
            for (int b = 0; b < BlocksPerRow; b++)
            {
                int block = o * BlocksPerRow + b;
                var (low, high) = Q6KWeight.DecodeBlock(source.Blocks.Slice(block * Q6KWeight.BlockBytes, Q6KWeight.BlockBytes), values);
                long at = GroupBlock(o, b);
                int lane = o % GroupRows;
                _subScales[at * GroupBlockScaleBytes + lane] = low;
                _subScales[at * GroupBlockScaleBytes + GroupRows + lane] = high;
                _scales[ScaleIndex(o, b)] = source.Scales[block];
                for (int i = 0; i < Q8Format.BlockSize; i++) SetCode(at * GroupBlockCodeBytes, lane, i, values[i] + Q6KWeight.Offset);
            }
    }

    /// <summary>Rows: output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Columns: input features K.</summary>
    public int InFeatures { get; }

    /// <summary>Blocks of 32 per row.</summary>
    public int BlocksPerRow { get; }

    /// <summary>Groups of <see cref="GroupRows"/> rows, the last one padded.</summary>
    public int Groups { get; }

    /// <summary>Runs of <see cref="SuperBlockBlocks"/> blocks per row that share a d (the last one possibly shorter).</summary>
    public int SuperBlocksPerRow { get; }

    /// <summary>Codes [Groups, K/32, 192 bytes] (see the remarks).</summary>
    internal ReadOnlySpan<byte> Codes => _codes;

    /// <summary>Sub-block scales [Groups, K/32, 2 halves, 8 rows].</summary>
    internal ReadOnlySpan<sbyte> SubScales => _subScales;

    /// <summary>Super-block scales d [Groups, SuperBlocksPerRow, 8 rows]: block b reads super-block b / 8.</summary>
    internal ReadOnlySpan<float> Scales => _scales;

    /// <summary>Bytes held (the last group's padding rows included): what one pass streams.</summary>
    public long ByteSize => _codes.LongLength + _subScales.LongLength + _scales.LongLength * sizeof(float);

    /// <summary>Output row <paramref name="row"/> as float32, bit for bit <see cref="Q6KWeight.DequantizeRow"/> on the source.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is not a row of the weight.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> does not hold K values.</exception>
    public void DequantizeRow(int row, Span<float> destination)
    {
        CheckRow(row);
        if (destination.Length != InFeatures)
            throw new ArgumentException($"destination holds {destination.Length} values, a row has {InFeatures}", nameof(destination));
        Span<byte> q = stackalloc byte[Q8Format.BlockSize];
        for (int b = 0; b < BlocksPerRow; b++)
        {
            var (low, high) = CopyBlock(row, b, q);
            float d = Scale(row, b);
            // The same float operations as the row-major weight: (d·s)·(q − 32).
            for (int i = 0; i < q.Length; i++) destination[b * Q8Format.BlockSize + i] = d * (i < 16 ? low : high) * (q[i] - Q6KWeight.Offset);
        }
    }

    /// <summary>The unsigned codes of block <paramref name="block"/> of row <paramref name="row"/> in column order, and its two sub-block scales.</summary>
    internal (sbyte Low, sbyte High) CopyBlock(int row, int block, Span<byte> codes)
    {
        long at = GroupBlock(row, block);
        int lane = row % GroupRows;
        for (int i = 0; i < Q8Format.BlockSize; i++) codes[i] = Code(at * GroupBlockCodeBytes, lane, i);
        return (_subScales[at * GroupBlockScaleBytes + lane], _subScales[at * GroupBlockScaleBytes + GroupRows + lane]);
    }

    /// <summary>The d of block <paramref name="block"/> of row <paramref name="row"/>.</summary>
    internal float Scale(int row, int block) => _scales[ScaleIndex(row, block)];

    private void CheckRow(int row)
    {
        if ((uint)row >= (uint)OutFeatures)
            throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is not within [0, {OutFeatures})");
    }

    private long GroupBlock(int row, int block) => (long)(row / GroupRows) * BlocksPerRow + block;

    private long ScaleIndex(int row, int block) =>
        ((long)(row / GroupRows) * SuperBlocksPerRow + block / SuperBlockBlocks) * GroupRows + row % GroupRows;

    // Value i is chunk c = i / 4, byte j = i % 4 of its lane: nibble in vector c % 4 (high half for c ≥ 4), pair in
    // high vector c / 4 at field c % 4.
    private static (long Low, int LowShift, long High, int HighShift) Place(long block, int lane, int i)
    {
        int c = i / ChunkValues, at = lane * ChunkValues + i % ChunkValues;
        return (block + c % 4 * ChunkBytes + at, c / 4 * 4, block + HighOffset + c / 4 * ChunkBytes + at, 2 * (c % 4));
    }

    private void SetCode(long block, int lane, int i, int q)
    {
        var (low, lowShift, high, highShift) = Place(block, lane, i);
        _codes[low] |= (byte)((q & 0x0F) << lowShift);
        _codes[high] |= (byte)((q >> 4) << highShift);
    }

    private byte Code(long block, int lane, int i)
    {
        var (low, lowShift, high, highShift) = Place(block, lane, i);
        return (byte)((_codes[low] >> lowShift & 0x0F) | (_codes[high] >> highShift & 3) << 4);
    }
}
