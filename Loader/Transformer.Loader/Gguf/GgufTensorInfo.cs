namespace Transformer.Loader.Gguf;

/// <summary>
/// One tensor as a GGUF file describes it. <see cref="Dimensions"/> are in ggml order, innermost (contiguous)
/// first, so a row-major [rows, columns] matrix has dimensions [columns, rows]; <see cref="Shape"/> gives the
/// row-major (outermost first) order the rest of the engine uses.
/// </summary>
public sealed record GgufTensorInfo(string Name, GgmlType Type, IReadOnlyList<long> Dimensions, long Offset, long ByteLength)
{
    /// <summary>Dimensions outermost first (PyTorch / safetensors order).</summary>
    public int[] Shape => Dimensions.Reverse().Select(d => (int)d).ToArray();

    /// <summary>Number of values.</summary>
    public long ElementCount => Dimensions.Aggregate(1L, (product, d) => product * d);

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {GgmlTypes.Name(Type)}[{string.Join(", ", Shape)}]";
}
