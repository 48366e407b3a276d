using Transformer.Kernels.Backend;

namespace Transformer.Kernels.Cpu;

/// <summary>
/// Keys and values laid out [layer][kvHead][position][headDim], so one head's history is
/// contiguous and attention streams through it.
/// </summary>
public sealed class CpuKvCache : KvCache
{
    private readonly float[] _keys;
    private readonly float[] _values;

    /// <summary>Allocates a zeroed cache.</summary>
    public CpuKvCache(int layers, int capacity, int kvHeads, int headDim) : base(layers, capacity, kvHeads, headDim)
    {
        long length = (long)layers * capacity * kvHeads * headDim;
        if (length > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(capacity), $"a KV cache of {length} floats per tensor exceeds one array; use a shorter context");
        _keys = new float[length];
        _values = new float[length];
    }

    /// <summary>The keys of one head: [capacity, headDim].</summary>
    public Span<float> Keys(int layer, int kvHead) => _keys.AsSpan(HeadOffset(layer, kvHead), Capacity * HeadDim);

    /// <summary>The values of one head: [capacity, headDim].</summary>
    public Span<float> Values(int layer, int kvHead) => _values.AsSpan(HeadOffset(layer, kvHead), Capacity * HeadDim);

    private int HeadOffset(int layer, int kvHead) => ((layer * KvHeads) + kvHead) * Capacity * HeadDim;

    /// <inheritdoc/>
    public override void Dispose() { }
}
