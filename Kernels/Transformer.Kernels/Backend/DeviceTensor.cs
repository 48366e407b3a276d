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

    /// <summary>
    /// A view of the same elements as a [rows, columns] matrix (rows·columns must equal this tensor's count):
    /// e.g. [tokens, heads·headDim] seen as [tokens·heads, headDim], to normalize every head as a row.
    /// </summary>
    public abstract DeviceTensor Reshape(int rows, int columns);

    /// <summary>Releases the storage (a view releases nothing).</summary>
    public abstract void Dispose();

    /// <summary>Throws unless [rows, columns] holds exactly this tensor's elements.</summary>
    protected void CheckReshape(int rows, int columns)
    {
        if (rows < 0 || columns < 0 || (long)rows * columns != (long)Rows * Columns)
            throw new ArgumentException($"a tensor of [{Rows}, {Columns}] cannot be viewed as [{rows}, {columns}]");
    }

    /// <summary>Throws unless the slice lies inside this tensor.</summary>
    protected void CheckSlice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Rows)
            throw new ArgumentOutOfRangeException(nameof(start), $"rows [{start}, {start + count}) outside a tensor of {Rows} rows");
    }
}
