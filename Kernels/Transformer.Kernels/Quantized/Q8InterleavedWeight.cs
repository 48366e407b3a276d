namespace Transformer.Kernels.Quantized;

/// <summary>
/// A <see cref="Q8Weight"/> repacked once at load for the row-interleaved int8 kernel
/// (<see cref="Q8InterleavedVnni"/>): rows in groups of <see cref="GroupRows"/>, and within a group, block
/// by block, 4-value chunks of the group's rows side by side, so one 32-byte vector holds chunk c of all
/// eight rows and vpdpbusd against a broadcast 4-byte chunk of one token leaves each row's partial dot
/// in its own lane: a block's dots come out one row per lane, with no horizontal sums. Values are stored
/// as unsigned w + 128 (vpdpbusd multiplies unsigned by signed bytes; the kernel subtracts 128 · Σx,
/// precomputed per activation block, to keep the dot exact). The last group is padded with zero rows.
/// </summary>
public sealed class Q8InterleavedWeight
{
    /// <summary>Rows per group: one per int32 lane of a 256-bit vector.</summary>
    public const int GroupRows = 8;

    /// <summary>Values of one row in one chunk: the bytes vpdpbusd sums into a lane.</summary>
    internal const int ChunkValues = 4;

    /// <summary>Bytes of one group's block: 32 values of 8 rows.</summary>
    internal const int GroupBlockBytes = GroupRows * Q8Format.BlockSize;

    private readonly byte[] _values;
    private readonly float[] _scales;

    /// <summary>Repacks <paramref name="source"/>; the source is kept (the scalar path and embedding lookups read it).</summary>
    public Q8InterleavedWeight(Q8Weight source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Source = source;
        int k = source.InFeatures, blocks = source.BlocksPerRow, rows = source.OutFeatures;
        Groups = (rows + GroupRows - 1) / GroupRows;
        _values = new byte[(long)Groups * blocks * GroupBlockBytes];
        _scales = new float[(long)Groups * blocks * GroupRows];
        // A padding row is w = 0 (stored 128) with scale 0: its lane computes 0 and is never stored.
        Array.Fill(_values, (byte)128);
        var values = source.Values;
        var scales = source.Scales;
        for (int o = 0; o < rows; o++)
        {
            int g = o / GroupRows, lane = o % GroupRows;
            for (int b = 0; b < blocks; b++)
            {
                long groupBlock = (long)g * blocks + b;
                _scales[groupBlock * GroupRows + lane] = scales[o * blocks + b];
                for (int i = 0; i < Q8Format.BlockSize; i++)
                {
                    int chunk = i / ChunkValues, within = i % ChunkValues;
                    _values[groupBlock * GroupBlockBytes + chunk * GroupRows * ChunkValues + lane * ChunkValues + within] =
                        (byte)(values[o * k + b * Q8Format.BlockSize + i] + 128);
                }
            }
        }
    }

    /// <summary>The row-major weight this was repacked from.</summary>
    public Q8Weight Source { get; }

    /// <summary>Rows: output features.</summary>
    public int OutFeatures => Source.OutFeatures;

    /// <summary>Columns: input features K.</summary>
    public int InFeatures => Source.InFeatures;

    /// <summary>Scales per row: K / 32.</summary>
    public int BlocksPerRow => Source.BlocksPerRow;

    /// <summary>Groups of <see cref="GroupRows"/> rows, the last one padded.</summary>
    public int Groups { get; }

    /// <summary>Values [Groups, K/32, 8 chunks, 8 rows, 4] as w + 128.</summary>
    internal ReadOnlySpan<byte> Values => _values;

    /// <summary>Scales [Groups, K/32, 8 rows].</summary>
    internal ReadOnlySpan<float> Scales => _scales;
}
