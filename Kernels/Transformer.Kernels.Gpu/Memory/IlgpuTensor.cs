using ILGPU;
using ILGPU.Runtime;
using Transformer.Kernels.Backend;

namespace Transformer.Kernels.Gpu.Memory;

/// <summary>An activation matrix in device memory; row slices are views of the same buffer.</summary>
public sealed class IlgpuTensor : DeviceTensor
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _owner;

    internal IlgpuTensor(Accelerator accelerator, int rows, int columns) : base(rows, columns)
    {
        // ILGPU rejects empty buffers; an empty tensor keeps a one-element buffer and an empty view.
        _owner = accelerator.Allocate1D<float>(Math.Max(1L, checked((long)rows * columns)));
        View = _owner.View.SubView(0, (long)rows * columns);
    }

    private IlgpuTensor(ArrayView<float> view, int rows, int columns) : base(rows, columns)
    {
        View = view;
    }

    /// <summary>The elements, row-major.</summary>
    public ArrayView<float> View { get; }

    /// <inheritdoc/>
    public override DeviceTensor SliceRows(int start, int count)
    {
        CheckSlice(start, count);
        return new IlgpuTensor(View.SubView((long)start * Columns, (long)count * Columns), count, Columns);
    }

    /// <inheritdoc/>
    public override DeviceTensor Reshape(int rows, int columns)
    {
        CheckReshape(rows, columns);
        return new IlgpuTensor(View, rows, columns);
    }

    /// <inheritdoc/>
    public override void Dispose() => _owner?.Dispose();
}
