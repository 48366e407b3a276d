namespace Transformer.Kernels.Backend;

/// <summary>
/// A row-major float32 activation matrix [Rows, Columns] that lives wherever its backend computes
/// (host memory for the CPU, device memory for a GPU). Rows are tokens, columns are features.
/// </summary>
public abstract class DeviceTensor : IDisposable
{
    /// <summary>Creates the shape header; the storage belongs to the subclass.</summary>
    protected DeviceTensor(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Rows = rows;
        Columns = columns;
    }

    /// <summary>Number of rows (tokens).</summary>
    public int Rows { get; }
    /// <summary>Number of columns (features).</summary>
    public int Columns { get; }

    /// <summary>A view of rows [start, start + count) sharing this tensor's storage.</summary>
    public abstract DeviceTensor SliceRows(int start, int count);

    /// <summary>Releases the storage (a view releases nothing).</summary>
    public abstract void Dispose();

    /// <summary>Throws unless the slice lies inside this tensor.</summary>
    protected void CheckSlice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Rows)
            throw new ArgumentOutOfRangeException(nameof(start), $"rows [{start}, {start + count}) outside a tensor of {Rows} rows");
    }
}
