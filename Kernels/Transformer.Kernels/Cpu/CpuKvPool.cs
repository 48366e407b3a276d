using System.Runtime.InteropServices;
using Transformer.Kernels.Backend;

namespace Transformer.Kernels.Cpu;

/// <summary>
/// A paged KV pool in native memory, laid out [layer][block][kvHead][slot][headDim], so the keys of one
/// head within one block are contiguous and attention streams through them block by block. Native
/// memory because a pool sized by a share of RAM (gigabytes) exceeds one managed array and should not
/// sit on the GC's large-object heap.
/// </summary>
public sealed unsafe class CpuKvPool : KvPool
{
    private readonly byte* _keys;
    private readonly byte* _values;
    private readonly int _headStride;
    private bool _disposed;

    /// <summary>Allocates the pool (contents unspecified until written).</summary>
    public CpuKvPool(KvPoolShape shape) : base(shape)
    {
        _headStride = shape.BlockSize * shape.HeadDim;
        nuint bytes = (nuint)(shape.TotalBytes / 2);
        try
        {
            _keys = (byte*)NativeMemory.Alloc(bytes);
            _values = (byte*)NativeMemory.Alloc(bytes);
        }
        catch (OutOfMemoryException)
        {
            NativeMemory.Free(_keys);
            throw new OutOfMemoryException($"cannot allocate a KV pool of {shape.TotalBytes / (1024 * 1024)} MiB ({shape.Blocks} blocks of {shape.BlockSize} positions); ask for less KV memory");
        }
    }

    /// <summary>Keys of one head in one block: [BlockSize, HeadDim] float32 (F32 pools only).</summary>
    public Span<float> KeysF32(int layer, int block, int kvHead) => new(_keys + Offset(layer, block, kvHead) * sizeof(float), _headStride);
    /// <summary>Values of one head in one block: [BlockSize, HeadDim] float32 (F32 pools only).</summary>
    public Span<float> ValuesF32(int layer, int block, int kvHead) => new(_values + Offset(layer, block, kvHead) * sizeof(float), _headStride);
    /// <summary>Keys of one head in one block: [BlockSize, HeadDim] half (F16 pools only).</summary>
    public Span<Half> KeysF16(int layer, int block, int kvHead) => new(_keys + Offset(layer, block, kvHead) * 2, _headStride);
    /// <summary>Values of one head in one block: [BlockSize, HeadDim] half (F16 pools only).</summary>
    public Span<Half> ValuesF16(int layer, int block, int kvHead) => new(_values + Offset(layer, block, kvHead) * 2, _headStride);

    private long Offset(int layer, int block, int kvHead)
    {
        var s = Shape;
        if ((uint)layer >= (uint)s.Layers || (uint)block >= (uint)s.Blocks || (uint)kvHead >= (uint)s.KvHeads)
            throw new ArgumentOutOfRangeException(nameof(block), $"layer {layer}, block {block}, head {kvHead} outside the pool {s}");
        ObjectDisposedException.ThrowIf(_disposed, this);
        return (((long)layer * s.Blocks + block) * s.KvHeads + kvHead) * _headStride;
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        NativeMemory.Free(_keys);
        NativeMemory.Free(_values);
    }
}
