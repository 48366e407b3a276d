using Transformer.Kernels.Backend;

namespace Transformer.Kernels.Cpu;

/// <summary>An activation matrix in a managed array; slices share the array.</summary>
public sealed class CpuTensor : DeviceTensor
{
    private readonly float[] _storage;
    private readonly int _offset;

    /// <summary>Allocates a zeroed tensor.</summary>
    public CpuTensor(int rows, int columns) : this(new float[checked(rows * columns)], 0, rows, columns) { }

    private CpuTensor(float[] storage, int offset, int rows, int columns) : base(rows, columns)
    {
        _storage = storage;
        _offset = offset;
    }

    /// <summary>All elements, row-major.</summary>
    public Span<float> Span => _storage.AsSpan(_offset, Rows * Columns);

    /// <summary>One row.</summary>
    public Span<float> Row(int row) => _storage.AsSpan(_offset + row * Columns, Columns);

    /// <inheritdoc/>
    public override DeviceTensor SliceRows(int start, int count)
    {
        CheckSlice(start, count);
        return new CpuTensor(_storage, _offset + start * Columns, count, Columns);
    }

    /// <inheritdoc/>
    public override DeviceTensor Reshape(int rows, int columns)
    {
        CheckReshape(rows, columns);
        return new CpuTensor(_storage, _offset, rows, columns);
    }

    /// <inheritdoc/>
    public override void Dispose() { }
}
