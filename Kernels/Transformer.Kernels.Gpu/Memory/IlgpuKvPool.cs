using ILGPU;
using ILGPU.Runtime;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Gpu.Kernels;

namespace Transformer.Kernels.Gpu.Memory;

/// <summary>
/// A paged KV pool in device memory, laid out [layer][block][kvHead][slot][headDim] like the CPU pool, so
/// the keys of one head within one block are contiguous. F32 pools hold floats; F16 pools hold IEEE
/// binary16 bits as <see cref="ushort"/> (the kernels widen to float as they read, see HalfBits).
/// </summary>
public sealed class IlgpuKvPool : KvPool
{
    private readonly Accelerator _accelerator;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _keysF32, _valuesF32;
    private readonly MemoryBuffer1D<ushort, Stride1D.Dense>? _keysF16, _valuesF16;

    internal IlgpuKvPool(Accelerator accelerator, KvPoolShape shape) : base(shape)
    {
        _accelerator = accelerator;
        long length = shape.Positions * shape.Layers * shape.KvHeads * shape.HeadDim;
        // The kernels index with 32-bit ints.
        if (length > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(shape),
                $"a KV pool of {length} values per tensor ({shape.Blocks} blocks of {shape.BlockSize} positions, {shape.Layers} layers, {shape.KvHeads}×{shape.HeadDim}) exceeds the GPU kernels' 32-bit indexing (at most {int.MaxValue}); ask for fewer blocks");
        try
        {
            if (shape.Type == KvDType.F32)
            {
                _keysF32 = accelerator.Allocate1D<float>(length);
                _valuesF32 = accelerator.Allocate1D<float>(length);
            }
            else
            {
                _keysF16 = accelerator.Allocate1D<ushort>(length);
                _valuesF16 = accelerator.Allocate1D<ushort>(length);
            }
        }
        catch (Exception e) when (e is OutOfMemoryException or AcceleratorException)
        {
            Dispose();
            throw new OutOfMemoryException($"cannot allocate a KV pool of {shape.TotalBytes / (1024 * 1024)} MiB ({shape.Blocks} blocks of {shape.BlockSize} positions) on '{accelerator.Name}': {e.Message}; ask for less KV memory", e);
        }
    }

    /// <summary>Keys of an F32 pool.</summary>
    internal ArrayView<float> KeysF32 => _keysF32!.View;
    /// <summary>Values of an F32 pool.</summary>
    internal ArrayView<float> ValuesF32 => _valuesF32!.View;
    /// <summary>Keys of an F16 pool, as binary16 bits.</summary>
    internal ArrayView<ushort> KeysF16 => _keysF16!.View;
    /// <summary>Values of an F16 pool, as binary16 bits.</summary>
    internal ArrayView<ushort> ValuesF16 => _valuesF16!.View;

    /// <summary>Where a layer lives in the buffers.</summary>
    internal KvLayout Layout(int layer)
    {
        var s = Shape;
        if ((uint)layer >= (uint)s.Layers) throw new ArgumentOutOfRangeException(nameof(layer), $"layer {layer} outside a KV pool of {s.Layers} layers");
        int headStride = s.BlockSize * s.HeadDim, blockStride = s.KvHeads * headStride;
        return new KvLayout(layer * s.Blocks * blockStride, blockStride, headStride, s.BlockSize, s.HeadDim);
    }

    /// <summary>
    /// Copies the keys of one head in one block, [BlockSize, HeadDim], to the host as float32 (F16 values
    /// widened exactly), after every queued op has finished. For inspection and tests.
    /// </summary>
    public void ReadKeys(int layer, int block, int kvHead, Span<float> destination) =>
        Read(layer, block, kvHead, destination, keys: true);

    /// <summary>Copies the values of one head in one block to the host; see <see cref="ReadKeys"/>.</summary>
    public void ReadValues(int layer, int block, int kvHead, Span<float> destination) =>
        Read(layer, block, kvHead, destination, keys: false);

    private void Read(int layer, int block, int kvHead, Span<float> destination, bool keys)
    {
        var s = Shape;
        if ((uint)block >= (uint)s.Blocks || (uint)kvHead >= (uint)s.KvHeads)
            throw new ArgumentOutOfRangeException(nameof(block), $"block {block}, head {kvHead} outside the pool {s}");
        var layout = Layout(layer);
        int count = layout.HeadStride;
        if (destination.Length != count) throw new ArgumentException($"destination holds {destination.Length} floats, a block's head has {count}");
        long start = layout.SlotStart(block * s.BlockSize, kvHead);
        var stream = _accelerator.DefaultStream;
        if (s.Type == KvDType.F32)
        {
            (keys ? KeysF32 : ValuesF32).SubView(start, count).CopyToCPU(stream, destination);
            stream.Synchronize();
            return;
        }
        var bits = new ushort[count];
        (keys ? KeysF16 : ValuesF16).SubView(start, count).CopyToCPU(stream, bits);
        stream.Synchronize();
        for (int i = 0; i < count; i++) destination[i] = (float)BitConverter.UInt16BitsToHalf(bits[i]);
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _keysF32?.Dispose();
        _valuesF32?.Dispose();
        _keysF16?.Dispose();
        _valuesF16?.Dispose();
    }
}
