namespace Transformer.Kernels.Quantized;

/// <summary>
/// A <see cref="Q8Weight"/> repacked once at load for the row-interleaved int8 kernel
/// (<see cref="Q8InterleavedKernel{TDot, TW}"/>): rows in groups of <see cref="GroupRows"/>, and within a group, block
/// by block, 4-value chunks of the group's rows side by side, so one 32-byte vector holds chunk c of all
/// eight rows and vpdpbusd against a broadcast 4-byte chunk of one token leaves each row's partial dot
/// in its own lane: a block's dots come out one row per lane, with no horizontal sums. Values are stored
/// as unsigned w + 128 (vpdpbusd multiplies unsigned by signed bytes; the kernel subtracts 128 · Σx,
/// precomputed per activation block, to keep the dot exact; the kernel without vpdpbusd flips the top bit back). The last group is padded with zero rows.
/// </summary>
public sealed class Q8InterleavedWeight
{
    /// <summary>Rows per group: one per int32 lane of a 256-bit vector.</summary>
    public const int GroupRows = InterleavedTiles.Rows;

    /// <summary>Values of one row in one chunk: the bytes vpdpbusd sums into a lane.</summary>
    internal const int ChunkValues = InterleavedTiles.ChunkValues;

    /// <summary>Bytes of one group's block: 32 values of 8 rows.</summary>
    internal const int GroupBlockBytes = GroupRows * Q8Format.BlockSize;

    private readonly byte[] _values;
    private readonly float[] _scales;

    /// <summary>
    /// Repacks <paramref name="source"/>. Nothing here refers to the source afterwards, so a caller that drops it
    /// holds one int8 copy: every reader of the weight (the matmul, its scalar spec, embedding lookups through
    /// <see cref="DequantizeRow"/>) reads this layout.
    /// </summary>
    public Q8InterleavedWeight(Q8Weight source)
    {
        ArgumentNullException.ThrowIfNull(source);
        OutFeatures = source.OutFeatures;
        InFeatures = source.InFeatures;
        BlocksPerRow = source.BlocksPerRow;
        int k = InFeatures, blocks = BlocksPerRow, rows = OutFeatures;
        Groups = (rows + GroupRows - 1) / GroupRows;
        _values = new byte[(long)Groups * blocks * GroupBlockBytes];
        _scales = new float[(long)Groups * blocks * GroupRows];
        // A padding row is w = 0 (stored 128) with scale 0: its lane computes 0 and is never stored.
        Array.Fill(_values, (byte)128);
        var values = source.Values;
        var scales = source.Scales;
        for (int o = 0; o < rows; o++)
            for (int b = 0; b < blocks; b++)
            {
                _scales[ScaleIndex(o, b)] = scales[o * blocks + b];
                for (int i = 0; i < Q8Format.BlockSize; i++)
                    _values[ValueIndex(o, b, i)] = (byte)(values[o * k + b * Q8Format.BlockSize + i] + 128);
            }
    }

    /// <summary>Rows: output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Columns: input features K.</summary>
    public int InFeatures { get; }

    /// <summary>Scales per row: K / 32.</summary>
    public int BlocksPerRow { get; }

    /// <summary>Groups of <see cref="GroupRows"/> rows, the last one padded.</summary>
    public int Groups { get; }

    /// <summary>Values [Groups, K/32, 8 chunks, 8 rows, 4] as w + 128.</summary>
    internal ReadOnlySpan<byte> Values => _values;

    /// <summary>Scales [Groups, K/32, 8 rows].</summary>
    internal ReadOnlySpan<float> Scales => _scales;

    /// <summary>Bytes held (values and scales, the last group's padding rows included): what one pass streams.</summary>
    public long ByteSize => _values.LongLength + _scales.LongLength * sizeof(float);

    /// <summary>
    /// Dequantizes output row <paramref name="row"/> (an embedding lookup of a tied table), bit for bit
    /// <see cref="Q8Format.DequantizeRow"/> on the row-major weight it was repacked from.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is not a row of the weight.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> does not hold K values.</exception>
    public void DequantizeRow(int row, Span<float> destination)
    {
        CheckRow(row);
        if (destination.Length != InFeatures)
            throw new ArgumentException($"destination holds {destination.Length} values, expected a row of {InFeatures}", nameof(destination));
        Span<sbyte> block = stackalloc sbyte[Q8Format.BlockSize];
        for (int b = 0; b < BlocksPerRow; b++)
        {
            CopyBlock(row, b, block);
            Q8Format.DequantizeRow(block, [Scale(row, b)], destination.Slice(b * Q8Format.BlockSize, Q8Format.BlockSize));
        }
    }

    /// <summary>The signed values of block <paramref name="block"/> of row <paramref name="row"/>, in column order.</summary>
    internal void CopyBlock(int row, int block, Span<sbyte> destination)
    {
        for (int i = 0; i < Q8Format.BlockSize; i++) destination[i] = (sbyte)(_values[ValueIndex(row, block, i)] - 128);
    }

    /// <summary>The scale of block <paramref name="block"/> of row <paramref name="row"/>.</summary>
    internal float Scale(int row, int block) => _scales[ScaleIndex(row, block)];

    private void CheckRow(int row)
    {
        if ((uint)row >= (uint)OutFeatures)
            throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is not within [0, {OutFeatures})");
    }

    // Row o is lane o % 8 of group o / 8; value i of a block is in chunk i / 4, at i % 4 within its lane's 4 bytes.
    private long ValueIndex(int row, int block, int i) =>
        ((long)(row / GroupRows) * BlocksPerRow + block) * GroupBlockBytes
        + i / ChunkValues * GroupRows * ChunkValues + row % GroupRows * ChunkValues + i % ChunkValues;

    private long ScaleIndex(int row, int block) =>
        ((long)(row / GroupRows) * BlocksPerRow + block) * GroupRows + row % GroupRows;
}
