using ILGPU;
using ILGPU.Runtime;
using Transformer.Kernels.Backend;

namespace Transformer.Kernels.Gpu.Memory;

/// <summary>
/// Keys and values in device memory, laid out [layer][kvHead][position][headDim] like the CPU cache,
/// so one head's history is contiguous for the attention kernels.
/// </summary>
public sealed class IlgpuKvCache : KvCache
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _keys;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _values;

    internal IlgpuKvCache(Accelerator accelerator, int layers, int capacity, int kvHeads, int headDim)
        : base(layers, capacity, kvHeads, headDim)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvHeads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        long length = (long)layers * capacity * kvHeads * headDim;
        // Kernels index with 32-bit offsets.
        if (length > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(capacity), $"a KV cache of {length} floats per tensor exceeds 2³¹ elements; use a shorter context");
        _keys = accelerator.Allocate1D<float>(length);
        _values = accelerator.Allocate1D<float>(length);
        // Zeroed so positions never written read as zeros, not garbage, when inspected.
        _keys.MemSetToZero();
        _values.MemSetToZero();
    }

    /// <summary>All keys.</summary>
    public ArrayView<float> Keys => _keys.View;

    /// <summary>All values.</summary>
    public ArrayView<float> Values => _values.View;

    /// <summary>Offset of a layer's first element.</summary>
    public int LayerOffset(int layer) => layer * KvHeads * Capacity * HeadDim;

    /// <inheritdoc/>
    public override void Dispose()
    {
        _keys.Dispose();
        _values.Dispose();
    }
}
