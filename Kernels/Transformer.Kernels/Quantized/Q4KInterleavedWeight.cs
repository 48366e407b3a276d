using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// A <see cref="Q4KWeight"/> repacked once at load for the row-interleaved Q4_K kernel (<see cref="Q4KInterleavedKernel"/>):
/// rows in groups of <see cref="GroupRows"/>; per group and super-block of <see cref="SuperBlockBlocks"/> blocks a
/// header of <see cref="HeaderBytes"/> (the 8 rows' float32 d, then their float32 dmin), then per 32-value block one
/// record of <see cref="RecordBytes"/>: 4 code vectors of 32 bytes, the 8 rows' scale bytes s, their minimum bytes m.
/// In code vector v, bytes [4·row, 4·row + 4) hold values 4v..4v+3 of that row in their low nibbles and values
/// 16+4v..16+4v+3 in their high ones, so one and/shift gives chunk v (or v + 4) of all eight rows side by side, and a
/// multiply-add against one token's broadcast 4-byte chunk leaves each row's partial dot in its own int32 lane: no
/// horizontal sums. The last group is padded with zero rows (codes 0, factors 0).
/// </summary>
/// <remarks>
/// A block's scale is d·s and its minimum dmin·m, each one float32 multiply, which is how ggml forms them: the source
/// holds only those products, and <see cref="Q4KScaleFactors"/> recovers a (d, s) per row and super-block that gives
/// each back bit for bit, so nothing is re-rounded. 4.75 bits a weight against the file's 4.5 (its 12 bytes of packed
/// 6-bit scales and two f16 per super-block become 16 scale bytes and two float32). Headers and records sit in one
/// sequential stream, which one prefetch distance serves. A weight whose products have no such factors (not from
/// ggml data) cannot be repacked: <see cref="TryRepack"/> says so, and a backend keeps it row-major.
/// </remarks>
public sealed class Q4KInterleavedWeight
{
    /// <summary>Rows per group: one per int32 lane of a 256-bit vector.</summary>
    public const int GroupRows = InterleavedTiles.Rows;

    /// <summary>Blocks of 32 that share one d and dmin: a ggml super-block of 256.</summary>
    public const int SuperBlockBlocks = 8;

    /// <summary>Values of one row in one chunk: the bytes a multiply-add sums into a lane.</summary>
    internal const int ChunkValues = InterleavedTiles.ChunkValues;

    /// <summary>Code vectors per record; vector v holds chunks v and v + 4.</summary>
    internal const int CodeVectors = Q8Format.BlockSize / ChunkValues / 2;

    /// <summary>Bytes of one code vector: one byte per row and value of a chunk pair.</summary>
    internal const int VectorBytes = GroupRows * ChunkValues;

    /// <summary>Where the 8 scale bytes start in a record.</summary>
    internal const int ScalesOffset = CodeVectors * VectorBytes;

    /// <summary>Where the 8 minimum bytes start in a record.</summary>
    internal const int MinsOffset = ScalesOffset + GroupRows;

    /// <summary>Bytes of one (group, block) record: 128 code bytes, 8 scale bytes, 8 minimum bytes.</summary>
    public const int RecordBytes = MinsOffset + GroupRows;

    /// <summary>Where the 8 dmin start in a header (the 8 d start it).</summary>
    internal const int MinFactorsOffset = GroupRows * sizeof(float);

    /// <summary>Bytes of one (group, super-block) header: 8 float32 d, 8 float32 dmin.</summary>
    public const int HeaderBytes = 2 * MinFactorsOffset;

    /// <summary>Bytes of one whole super-block of a group: its header and its 8 records.</summary>
    internal const int SuperBlockBytes = HeaderBytes + SuperBlockBlocks * RecordBytes;

    private readonly byte[] _data;

    /// <summary>
    /// Repacks <paramref name="source"/>. Nothing here refers to the source afterwards, so a caller that drops it holds
    /// one copy: every reader (the matmul, its scalar spec, embedding lookups through <see cref="DequantizeRow"/>) reads this.
    /// </summary>
    /// <exception cref="ArgumentException">The scales or minimums of some row's super-block have no exact factors (see <see cref="TryRepack"/>).</exception>
    public Q4KInterleavedWeight(Q4KWeight source)
        : this(source, Factors.Of(source ?? throw new ArgumentNullException(nameof(source)))
            ?? throw new ArgumentException("the Q4_K scales or minimums of a super-block are not one float32 times bytes, so the interleaved layout cannot hold them", nameof(source)))
    {
    }

    private Q4KInterleavedWeight(Q4KWeight source, Factors factors)
    {
        OutFeatures = source.OutFeatures;
        InFeatures = source.InFeatures;
        BlocksPerRow = source.BlocksPerRow;
        int blocks = BlocksPerRow;
        Groups = (OutFeatures + GroupRows - 1) / GroupRows;
        SuperBlocksPerRow = (blocks + SuperBlockBlocks - 1) / SuperBlockBlocks;
        // Zero-filled: a padding row is codes 0, factors 0, so its lane computes 0 (and is never stored).
        _data = new byte[Groups * GroupBytes];
        var codes = source.Codes;
        for (int o = 0; o < OutFeatures; o++)
        {
            int lane = o % GroupRows;
            for (int sb = 0; sb < SuperBlocksPerRow; sb++)
            {
                long header = Header(o, sb);
                WriteFloat(header + lane * sizeof(float), factors.D[o * SuperBlocksPerRow + sb]);
                WriteFloat(header + MinFactorsOffset + lane * sizeof(float), factors.DMin[o * SuperBlocksPerRow + sb]);
            }
            for (int b = 0; b < blocks; b++)
            {
                int block = o * blocks + b;
                long record = Record(o, b);
                _data[record + ScalesOffset + lane] = factors.S[block];
                _data[record + MinsOffset + lane] = factors.M[block];
                // Source byte j holds value j (low nibble) and value j + 16 (high): the same pairing, so source
                // bytes 4v..4v+3 are the row's 4 bytes of code vector v as they are.
                var src = codes.Slice(block * Q4KWeight.BlockBytes, Q4KWeight.BlockBytes);
                for (int v = 0; v < CodeVectors; v++)
                    Unsafe.WriteUnaligned(ref _data[ChunkIndex(record, lane, v)], Unsafe.ReadUnaligned<uint>(in src[v * ChunkValues]));
            }
        }
    }

    /// <summary>
    /// Repacks <paramref name="source"/> where every row's super-block has exact factors (always for ggml data), else
    /// false and null: the caller keeps the row-major weight.
    /// </summary>
    public static bool TryRepack(Q4KWeight source, [NotNullWhen(true)] out Q4KInterleavedWeight? repacked)
    {
        ArgumentNullException.ThrowIfNull(source);
        repacked = Factors.Of(source) is { } factors ? new Q4KInterleavedWeight(source, factors) : null;
        return repacked is not null;
    }

    /// <summary>Per (row, super-block) d and dmin, per (row, block) s and m: the source's products as factors.</summary>
    private sealed record Factors(float[] D, float[] DMin, byte[] S, byte[] M)
    {
        public static Factors? Of(Q4KWeight source)
        {
            int rows = source.OutFeatures, blocks = source.BlocksPerRow, superBlocks = (blocks + SuperBlockBlocks - 1) / SuperBlockBlocks;
            var factors = new Factors(new float[rows * superBlocks], new float[rows * superBlocks], new byte[rows * blocks], new byte[rows * blocks]);
            for (int o = 0; o < rows; o++)
                for (int sb = 0; sb < superBlocks; sb++)
                {
                    int first = o * blocks + sb * SuperBlockBlocks, count = Math.Min(SuperBlockBlocks, blocks - sb * SuperBlockBlocks);
                    if (!Q4KScaleFactors.TryFactor(source.Scales.Slice(first, count), out factors.D[o * superBlocks + sb], factors.S.AsSpan(first, count))
                        || !Q4KScaleFactors.TryFactor(source.Mins.Slice(first, count), out factors.DMin[o * superBlocks + sb], factors.M.AsSpan(first, count)))
                        return null;
                }
            return factors;
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

    /// <summary>Runs of <see cref="SuperBlockBlocks"/> blocks per row that share a d and dmin (the last one possibly shorter).</summary>
    public int SuperBlocksPerRow { get; }

    /// <summary>Bytes of one group: per super-block its header, then its records.</summary>
    internal long GroupBytes => (long)SuperBlocksPerRow * HeaderBytes + (long)BlocksPerRow * RecordBytes;

    /// <summary>Groups [Groups] of <see cref="GroupBytes"/>: headers and records in stream order (see the remarks).</summary>
    internal ReadOnlySpan<byte> Data => _data;

    /// <summary>Bytes held (the last group's padding rows included): what one pass streams.</summary>
    public long ByteSize => _data.LongLength;

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
            Unsafe.WriteUnaligned(ref destination[v * ChunkValues], Unsafe.ReadUnaligned<uint>(in _data[ChunkIndex(record, lane, v)]));
    }

    /// <summary>The scale d·s of block <paramref name="block"/> of row <paramref name="row"/>: one float32 multiply, as ggml forms it.</summary>
    internal float Scale(int row, int block) =>
        ReadFloat(Header(row, block / SuperBlockBlocks) + row % GroupRows * sizeof(float)) * _data[Record(row, block) + ScalesOffset + row % GroupRows];

    /// <summary>The minimum dmin·m of block <paramref name="block"/> of row <paramref name="row"/>: one float32 multiply.</summary>
    internal float Min(int row, int block) =>
        ReadFloat(Header(row, block / SuperBlockBlocks) + MinFactorsOffset + row % GroupRows * sizeof(float)) * _data[Record(row, block) + MinsOffset + row % GroupRows];

    private void CheckRow(int row)
    {
        if ((uint)row >= (uint)OutFeatures)
            throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is not within [0, {OutFeatures})");
    }

    /// <summary>Where row lane <paramref name="lane"/>'s 4 bytes of code vector <paramref name="v"/> sit in a record.</summary>
    private static long ChunkIndex(long record, int lane, int v) => record + v * VectorBytes + lane * ChunkValues;

    /// <summary>Where row <paramref name="row"/>'s group's header of super-block <paramref name="superBlock"/> starts.</summary>
    private long Header(int row, int superBlock) => row / GroupRows * GroupBytes + (long)superBlock * SuperBlockBytes;

    /// <summary>Where row <paramref name="row"/>'s group's record of block <paramref name="block"/> starts: after its super-block's header.</summary>
    private long Record(int row, int block) => Header(row, block / SuperBlockBlocks) + HeaderBytes + (long)(block % SuperBlockBlocks) * RecordBytes;

    private float ReadFloat(long at) => Unsafe.ReadUnaligned<float>(ref _data[at]);

    private void WriteFloat(long at, float value) => Unsafe.WriteUnaligned(ref _data[at], value);
}
