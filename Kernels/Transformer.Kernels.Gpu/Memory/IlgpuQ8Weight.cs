using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Quantized;

namespace Transformer.Kernels.Gpu.Memory;

/// <summary>
/// A weight in the CPU path's <see cref="Q8Format"/> uploaded as is: int8 values [out, K] and float32
/// scales [out, K/32]. Kernels dequantize in registers (value · scale) as they read, so the device
/// holds and streams a quarter of the f32 bytes.
/// </summary>
public sealed class IlgpuQ8Weight : DeviceWeight
{
    private readonly MemoryBuffer1D<sbyte, Stride1D.Dense> _values;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _scales;

    internal IlgpuQ8Weight(Accelerator accelerator, string name, Q8Weight weight)
        : base(name, weight.OutFeatures, weight.InFeatures, WeightFormat.Q8)
    {
        if ((long)weight.OutFeatures * weight.InFeatures > int.MaxValue)
            throw new ArgumentException($"weight '{name}' has {(long)weight.OutFeatures * weight.InFeatures} elements; the GPU kernels index up to 2³¹");
        _values = accelerator.Allocate1D<sbyte>(weight.Values.Length);
        _scales = accelerator.Allocate1D<float>(weight.Scales.Length);
        ((ArrayView<sbyte>)_values.View).CopyFromCPU(accelerator.DefaultStream, weight.Values);
        ((ArrayView<float>)_scales.View).CopyFromCPU(accelerator.DefaultStream, weight.Scales);
        BlocksPerRow = weight.BlocksPerRow;
    }

    /// <summary>Quantized values, row-major [out, K].</summary>
    public ArrayView<sbyte> Values => _values.View;

    /// <summary>Block scales, row-major [out, K/32].</summary>
    public ArrayView<float> Scales => _scales.View;

    /// <summary>Scales per row.</summary>
    public int BlocksPerRow { get; }

    /// <inheritdoc/>
    public override long ByteSize => _values.LengthInBytes + _scales.LengthInBytes;

    /// <inheritdoc/>
    public override void Dispose()
    {
        _values.Dispose();
        _scales.Dispose();
    }
}
