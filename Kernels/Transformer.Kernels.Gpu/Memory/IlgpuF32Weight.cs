using ILGPU;
using ILGPU.Runtime;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Tensors;

namespace Transformer.Kernels.Gpu.Memory;

/// <summary>A float32 weight matrix [out, in] uploaded to the device once; F16/BF16 sources are widened on the host first.</summary>
public sealed class IlgpuF32Weight : DeviceWeight
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _values;

    internal IlgpuF32Weight(Accelerator accelerator, HostTensor matrix)
        : base(matrix.Name, matrix.Shape[0], matrix.Shape[1], WeightFormat.F32)
    {
        if (matrix.ElementCount > int.MaxValue)
            throw new ArgumentException($"tensor '{matrix.Name}' has {matrix.ElementCount} elements; the GPU kernels index up to 2³¹");
        _values = accelerator.Allocate1D<float>(Math.Max(1L, matrix.ElementCount));
        ArrayView<float> destination = _values.View.SubView(0, matrix.ElementCount);
        if (matrix.Type == DType.F32)
            destination.CopyFromCPU(accelerator.DefaultStream, matrix.AsFloat32());
        else
            destination.CopyFromCPU(accelerator.DefaultStream, matrix.ToFloat32());
    }

    /// <summary>All values, row-major [out, in].</summary>
    public ArrayView<float> Values => _values.View;

    /// <inheritdoc/>
    public override long ByteSize => (long)OutFeatures * InFeatures * sizeof(float);

    /// <inheritdoc/>
    public override void Dispose() => _values.Dispose();
}
