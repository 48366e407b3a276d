using Transformer.Kernels.Tensors;

namespace Transformer.Runtime.Pruning;

/// <summary>A row-major float matrix [rows, columns] on the host, with the row and column cuts pruning needs.</summary>
internal sealed class HostMatrix(float[] values, int rows, int columns)
{
    public float[] Values { get; } = values;
    public int Rows { get; } = rows;
    public int Columns { get; } = columns;

    /// <summary>A tensor's elements widened to float32 (a vector is one row).</summary>
    public static HostMatrix From(HostTensor tensor) => tensor.Shape.Count switch
    {
        1 => new HostMatrix(tensor.ToFloat32(), 1, tensor.Shape[0]),
        2 => new HostMatrix(tensor.ToFloat32(), tensor.Shape[0], tensor.Shape[1]),
        _ => throw new ArgumentException($"tensor '{tensor.Name}' has {tensor.Shape.Count} dimensions; pruning cuts matrices and vectors"),
    };

    public HostMatrix SelectRows(IReadOnlyList<int>? rows)
    {
        if (rows is null) return this;
        var result = new float[rows.Count * Columns];
        for (int r = 0; r < rows.Count; r++) Values.AsSpan(rows[r] * Columns, Columns).CopyTo(result.AsSpan(r * Columns, Columns));
        return new HostMatrix(result, rows.Count, Columns);
    }

    public HostMatrix SelectColumns(IReadOnlyList<int>? columns)
    {
        if (columns is null) return this;
        var result = new float[Rows * columns.Count];
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < columns.Count; c++) result[r * columns.Count + c] = Values[r * Columns + columns[c]];
        return new HostMatrix(result, Rows, columns.Count);
    }

    public HostTensor ToTensor(string name, bool vector) =>
        vector ? HostTensor.FromFloats(name, Values, Columns) : HostTensor.FromFloats(name, Values, Rows, Columns);
}
