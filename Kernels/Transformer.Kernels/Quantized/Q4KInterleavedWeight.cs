using System.Runtime.CompilerServices;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// A <see cref="Q4KWeight"/> repacked once at load for the row-interleaved Q4_K kernel (<see cref="Q4KInterleavedKernel"/>):
/// rows in groups of <see cref="GroupRows"/>, and per group and 32-value block one record of
/// <see cref="RecordBytes"/>: 4 code vectors of 32 bytes, then the 8 rows' float32 scales d·s, then their 8 float32
/// minimums dmin·m. In code vector v, bytes [4·row, 4·row + 4) hold values 4v..4v+3 of that row in their low nibbles
/// and values 16+4v..16+4v+3 in their high ones, so one and/shift gives chunk v (or v + 4) of all eight rows side by
/// side, and a multiply-add against one token's broadcast 4-byte chunk leaves each row's partial dot in its own int32
/// lane: no horizontal sums. The last group is padded with zero rows (codes 0, scale 0, minimum 0).
/// </summary>
/// <remarks>
/// Scales and minimums sit in the record after the codes rather than in side arrays so the kernel reads one
/// sequential stream (3 cache lines per record), which one prefetch distance serves. The bits are those of the
/// source: nothing is re-rounded.
/// </remarks>
public sealed class Q4KInterleavedWeight
{
    /// <summary>Rows per group: one per int32 lane of a 256-bit vector.</summary>
    public const int GroupRows = 8;

    /// <summary>Values of one row in one chunk: the bytes a multiply-add sums into a lane.</summary>
    internal const int ChunkValues = 4;

    /// <summary>Code vectors per record; vector v holds chunks v and v + 4.</summary>
    internal const int CodeVectors = Q8Format.BlockSize / ChunkValues / 2;

    /// <summary>Bytes of one code vector: one byte per row and value of a chunk pair.</summary>
    internal const int VectorBytes = GroupRows * ChunkValues;

    /// <summary>Where the 8 scales start in a record.</summary>
    internal const int ScalesOffset = CodeVectors * VectorBytes;

    /// <summary>Where the 8 minimums start in a record.</summary>
    internal const int MinsOffset = ScalesOffset + GroupRows * sizeof(float);

    /// <summary>Bytes of one (group, block) record: 128 code bytes, 8 scales, 8 minimums.</summary>
    public const int RecordBytes = MinsOffset + GroupRows * sizeof(float);

    private readonly byte[] _records;

    /// <summary>
    /// Repacks <paramref name="source"/>. Nothing here refers to the source afterwards, so a caller that drops it holds
    /// one copy: every reader (the matmul, its scalar spec, embedding lookups through <see cref="DequantizeRow"/>) reads this.
    /// </summary>
    public Q4KInterleavedWeight(Q4KWeight source)
    {
        ArgumentNullException.ThrowIfNull(source);
        OutFeatures = source.OutFeatures;
        InFeatures = source.InFeatures;
        BlocksPerRow = source.BlocksPerRow;
        int blocks = BlocksPerRow;
        Groups = (OutFeatures + GroupRows - 1) / GroupRows;
        // Zero-filled: a padding row is codes 0, scale 0, minimum 0, so its lane computes 0 (and is never stored).
        _records = new byte[(long)Groups * blocks * RecordBytes];
        var codes = source.Codes;
        var scales = source.Scales;
        var mins = source.Mins;
        for (int o = 0; o < OutFeatures; o++)
            for (int b = 0; b < blocks; b++)
            {
                int block = o * blocks + b;
                long record = Record(o, b);
                int lane = o % GroupRows;
                WriteFloat(record + ScalesOffset + lane * sizeof(float), scales[block]);
                WriteFloat(record + MinsOffset + lane * sizeof(float), mins[block]);
                // Source byte j holds value j (low nibble) and value j + 16 (high): the same pairing, so source
                // bytes 4v..4v+3 are the row's 4 bytes of code vector v as they are.
                var src = codes.Slice(block * Q4KWeight.BlockBytes, Q4KWeight.BlockBytes);
                for (int v = 0; v < CodeVectors; v++)
                    Unsafe.WriteUnaligned(ref _records[ChunkIndex(record, lane, v)], Unsafe.ReadUnaligned<uint>(in src[v * ChunkValues]));
            }
    }

    /// <summary>Rows: output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Columns: input features K.</summary>
    public int InFeatures { get; }

    /// <summary>Blocks of 32 per row: K / 32.</summary>
    public int BlocksPerRow { get; }

    /// <summary>Groups of <see cref="GroupRows"/> rows, the last one padded.</summary>
    public int Groups { get; }

    /// <summary>Records [Groups, K/32] of <see cref="RecordBytes"/> each.</summary>
    internal ReadOnlySpan<byte> Records => _records;

    /// <summary>Bytes held (the last group's padding rows included): what one pass streams.</summary>
    public long ByteSize => _records.LongLength;

    /// <summary>
    /// Dequantizes output row <paramref name="row"/> (an embedding lookup of a tied table), bit for bit
    /// <see cref="Q4KWeight.DequantizeRow"/> on the weight it was repacked from.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is not a row of the weight.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> does not hold K values.</exception>
    public void DequantizeRow(int row, Span<float> destination)
    {
        CheckRow(row);
        if (destination.Length != InFeatures)
            throw new ArgumentException($"destination holds {destination.Length} values, a row has {InFeatures}", nameof(destination));
        Span<byte> codes = stackalloc byte[Q4KWeight.BlockBytes];
        Span<byte> q = stackalloc byte[Q8Format.BlockSize];
        for (int b = 0; b < BlocksPerRow; b++)
        {
            CopyBlock(row, b, codes);
            Q4KWeight.DecodeBlock(codes, q);
            float scale = Scale(row, b), min = Min(row, b);
            for (int i = 0; i < q.Length; i++) destination[b * Q8Format.BlockSize + i] = scale * q[i] - min;
        }
    }

    /// <summary>Block <paramref name="block"/> of row <paramref name="row"/> as the 16 code bytes of <see cref="Q4KWeight"/>'s layout.</summary>
    internal void CopyBlock(int row, int block, Span<byte> destination)
    {
        if (destination.Length != Q4KWeight.BlockBytes)
            throw new ArgumentException($"a block is {Q4KWeight.BlockBytes} code bytes, destination holds {destination.Length}", nameof(destination));
        long record = Record(row, block);
        int lane = row % GroupRows;
        for (int v = 0; v < CodeVectors; v++)
            Unsafe.WriteUnaligned(ref destination[v * ChunkValues], Unsafe.ReadUnaligned<uint>(in _records[ChunkIndex(record, lane, v)]));
    }

    /// <summary>The scale d·s of block <paramref name="block"/> of row <paramref name="row"/>.</summary>
    internal float Scale(int row, int block) => ReadFloat(Record(row, block) + ScalesOffset + row % GroupRows * sizeof(float));

    /// <summary>The minimum dmin·m of block <paramref name="block"/> of row <paramref name="row"/>.</summary>
    internal float Min(int row, int block) => ReadFloat(Record(row, block) + MinsOffset + row % GroupRows * sizeof(float));

    private void CheckRow(int row)
    {
        if ((uint)row >= (uint)OutFeatures)
            throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is not within [0, {OutFeatures})");
    }

    /// <summary>Where row lane <paramref name="lane"/>'s 4 bytes of code vector <paramref name="v"/> sit in a record.</summary>
    private static long ChunkIndex(long record, int lane, int v) => record + v * VectorBytes + lane * ChunkValues;

    private long Record(int row, int block) => ((long)(row / GroupRows) * BlocksPerRow + block) * RecordBytes;

    private float ReadFloat(long at) => Unsafe.ReadUnaligned<float>(ref _records[at]);

    private void WriteFloat(long at, float value) => Unsafe.WriteUnaligned(ref _records[at], value);
}
