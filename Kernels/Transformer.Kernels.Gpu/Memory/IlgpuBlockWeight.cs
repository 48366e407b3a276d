using ILGPU;
using ILGPU.Runtime;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Quantized;

namespace Transformer.Kernels.Gpu.Memory;

/// <summary>
/// A weight kept on the device in the blocks the CPU path holds (<see cref="Q4Weight"/>, <see cref="Q4KWeight"/>,
/// <see cref="Q6KWeight"/>), byte for byte: the kernels dequantize in registers as they read, so the device holds and
/// streams the quantized bytes, never a float32 or int8 copy. <see cref="ByteSize"/> is what the buffers hold.
/// </summary>
public abstract class IlgpuBlockWeight : DeviceWeight
{
    private readonly List<MemoryBuffer> _buffers = [];

    private protected IlgpuBlockWeight(string name, int outFeatures, int inFeatures, WeightFormat format)
        : base(name, outFeatures, inFeatures, format)
    {
        if ((long)outFeatures * inFeatures > int.MaxValue)
            throw new ArgumentException($"weight '{name}' has {(long)outFeatures * inFeatures} elements; the GPU kernels index up to 2³¹");
    }

    /// <summary>Copies host values to a new device buffer the weight owns.</summary>
    private protected ArrayView<T> Upload<T>(Accelerator accelerator, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        var buffer = accelerator.Allocate1D<T>(values.Length);
        _buffers.Add(buffer);
        ((ArrayView<T>)buffer.View).CopyFromCPU(accelerator.DefaultStream, values);
        return buffer.View;
    }

    /// <inheritdoc/>
    public override long ByteSize => _buffers.Sum(b => b.LengthInBytes);

    /// <inheritdoc/>
    public override void Dispose()
    {
        foreach (var buffer in _buffers) buffer.Dispose();
        _buffers.Clear();
    }
}
