using System.Runtime.InteropServices;
using Transformer.Kernels.Quantized.Ggml;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Config;

namespace Transformer.Loader.Gguf;

/// <summary>
/// The tensors of a GGUF file under Hugging Face names, in Hugging Face row order, in forms the backends take:
/// F32, F16 and BF16 tensors view the mapping (no copy); Q8_0 matrices are repacked into the engine's Q8 layout
/// (<c>NAME.q8</c> int8 values + <c>NAME.q8_scales</c> float32 scales, see <see cref="GgufQ8_0"/>), and so are Q5_0
/// matrices, exactly (<see cref="GgufQ5_0"/>); Q4_0 matrices keep
/// their 4-bit codes for the 4-bit kernels (<c>NAME.q4</c> + <c>NAME.q4_scales</c>, see <see cref="GgufQ4_0"/>); Q4_K
/// and Q6_K matrices keep their codes for the K-quant kernels, rearranged per block (<see cref="GgufKQuants"/>); Q4_0,
/// Q5_0, Q4_K and Q6_K vectors are dequantized to float32 at load by the scalar references (<see cref="GgmlQ4_0"/>,
/// <see cref="GgmlQ4_K"/>, <see cref="GgmlQ6_K"/>, bit-identical to llama.cpp's). For
/// architectures whose query/key rows llama.cpp's converter interleaved (<c>llama</c>), those rows are put back in
/// Hugging Face order, which copies the query and key tensors only.
/// </summary>
public sealed class GgufWeightSource : IWeightSource
{
    private readonly GgufFile _file;
    private readonly Dictionary<string, HostTensor> _byName;
    private readonly HostTensor[] _tensors;

    private GgufWeightSource(GgufFile file, HostTensor[] tensors)
    {
        _file = file;
        _tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The GGUF file (metadata, tokenizer) the weights come from.</summary>
    public GgufFile File => _file;

    /// <inheritdoc/>
    public string Description => _file.FilePath;

    /// <inheritdoc/>
    public IReadOnlyCollection<HostTensor> Tensors => _tensors;

    /// <summary>GGUF tensor types this source hands to the model.</summary>
    public static IReadOnlyList<GgmlType> SupportedTypes { get; } =
        [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q6_K];

    /// <summary>The block formats read by dequantizing to float32 at load: type → (bytes of a row of n values → n floats).</summary>
    private static readonly Dictionary<GgmlType, DequantizeRow> Dequantizers = new()
    {
        [GgmlType.Q4_0] = GgmlQ4_0.DequantizeRow,
        [GgmlType.Q5_0] = GgmlQ5_0.DequantizeRow,
        [GgmlType.Q4_K] = GgmlQ4_K.DequantizeRow,
        [GgmlType.Q6_K] = GgmlQ6_K.DequantizeRow,
    };

    private delegate void DequantizeRow(ReadOnlySpan<byte> blocks, Span<float> destination);

    /// <summary>
    /// Presents <paramref name="file"/>'s tensors for <paramref name="config"/> (from <see cref="GgufModelConfig.Read"/>).
    /// The source owns the file from here on, also when this throws.
    /// </summary>
    /// <exception cref="ModelFormatException">A tensor has a type the engine does not load, or a name it does not know.</exception>
    public static GgufWeightSource Create(GgufFile file, ModelConfig config)
    {
        try
        {
            var architecture = GgufArchitectures.Find(file.Architecture, file.FilePath);
            var tensors = new List<HostTensor>();
            foreach (var info in file.Tensors)
            {
                if (info.Name == GgufModelConfig.RopeFrequenciesTensor) continue; // read into the config
                string name = GgufTensorNames.ToHuggingFace(info.Name, architecture)
                    ?? throw new ModelFormatException(
                        $"{file.FilePath}: tensor '{InputQuote.Cap(info.Name)}' has no meaning for a GGUF '{architecture.Name}' model in this engine");
                tensors.AddRange(Convert(file, info, name, InterleavedHeads(info.Name, architecture, config), config.HeadDim));
            }
            return new GgufWeightSource(file, [.. tensors]);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public bool TryGet(string name, out HostTensor tensor)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _byName.TryGetValue(name, out tensor!);
    }

    private bool _disposed;

    /// <summary>Unmaps the file; tensors obtained from it must not be used afterwards.</summary>
    public void Dispose()
    {
        _disposed = true;
        _file.Dispose();
    }

    /// <summary>How many heads' rows llama.cpp interleaved in this tensor, or 0 when it is stored in HF order.</summary>
    private static int InterleavedHeads(string ggufName, GgufArchitecture architecture, ModelConfig config)
    {
        if (!architecture.QueryKeyRowsInterleaved) return 0;
        if (ggufName.EndsWith(".attn_q.weight", StringComparison.Ordinal) || ggufName.EndsWith(".attn_q.bias", StringComparison.Ordinal))
            return config.NumHeads;
        if (ggufName.EndsWith(".attn_k.weight", StringComparison.Ordinal) || ggufName.EndsWith(".attn_k.bias", StringComparison.Ordinal))
            return config.NumKvHeads;
        return 0;
    }

    private static IEnumerable<HostTensor> Convert(GgufFile file, GgufTensorInfo info, string name, int interleavedHeads, int headDim)
    {
        int[] shape = info.Shape;
        var data = file.Data(info);
        var rows = new RowOrder(shape[0], interleavedHeads, headDim, file.FilePath, info.Name); // a vector's rows are its elements
        switch (info.Type)
        {
            case GgmlType.F32 or GgmlType.F16 or GgmlType.BF16:
                var type = info.Type switch { GgmlType.F32 => DType.F32, GgmlType.F16 => DType.F16, _ => DType.BF16 };
                return [new HostTensor(name, type, shape, rows.IsIdentity ? data : rows.Reorder(data))];
            case GgmlType.Q8_0 when shape.Length == 2:
                return GgufQ8_0.Repack(name, data, shape[0], shape[1], rows);
            case GgmlType.Q4_0 when shape.Length == 2:
                return GgufQ4_0.Split(name, data, shape[0], shape[1], rows);
            case GgmlType.Q5_0 when shape.Length == 2:
                return GgufQ5_0.Split(name, data, shape[0], shape[1], rows);
            case GgmlType.Q4_K when shape.Length == 2:
                return GgufKQuants.SplitQ4K(name, data, shape[0], shape[1], rows);
            case GgmlType.Q6_K when shape.Length == 2:
                return GgufKQuants.SplitQ6K(name, data, shape[0], shape[1], rows);
            case GgmlType.Q8_0:
                return [Dequantized(file.FilePath, name, shape, data, rows, GgmlQ8_0.DequantizeRow)];
            case var blocks when Dequantizers.TryGetValue(blocks, out var dequantize):
                return [Dequantized(file.FilePath, name, shape, data, rows, dequantize)];
            default:
                throw new ModelFormatException(
                    $"{file.FilePath}: tensor '{InputQuote.Cap(info.Name)}' is {GgmlTypes.Name(info.Type)}; " +
                    $"this engine loads {string.Join(", ", SupportedTypes.Select(GgmlTypes.Name))}");
        }
    }

    private static HostTensor Dequantized(string path, string name, int[] shape, ReadOnlyMemory<byte> data, RowOrder rows, DequantizeRow dequantize)
    {
        int columns = shape[^1];
        long elements = shape.Aggregate(1L, (p, d) => p * d);
        if (elements * sizeof(float) > int.MaxValue)
            throw new ModelFormatException(
                $"{path}: tensor '{InputQuote.Cap(name)}' dequantized to float32 ({elements * sizeof(float)} bytes) exceeds the {int.MaxValue}-byte limit of one tensor");
        // Written in place as float32 bytes, so the tensor is built without a second copy.
        var bytes = new byte[elements * sizeof(float)];
        var values = MemoryMarshal.Cast<byte, float>(bytes.AsSpan());
        int storedRows = (int)(elements / columns), rowBytes = data.Length / storedRows;
        var source = data.Span;
        // A 1-D tensor is one row of values; its interleaved elements (a query bias) are reordered below.
        for (int row = 0; row < storedRows; row++)
        {
            int stored = shape.Length == 1 ? row : rows.StoredRow(row);
            dequantize(source.Slice(stored * rowBytes, rowBytes), values.Slice(row * columns, columns));
        }
        return new HostTensor(name, DType.F32, shape, shape.Length == 1 && !rows.IsIdentity ? rows.Reorder(bytes) : bytes);
    }
}

/// <summary>
/// Which stored row each Hugging Face row of a tensor comes from. llama.cpp's converter stores each head's rows
/// in adjacent-pair order: Hugging Face row h·d + s·d/2 + i (half s of pair i) is stored at row h·d + 2i + s.
/// </summary>
internal readonly struct RowOrder
{
    private readonly int _heads, _headDim;

    public RowOrder(int rows, int interleavedHeads, int headDim, string path, string tensor)
    {
        Rows = rows;
        (_heads, _headDim) = (interleavedHeads, headDim);
        if (interleavedHeads > 0 && (long)interleavedHeads * headDim != rows)
            throw new ModelFormatException(
                $"{path}: tensor '{InputQuote.Cap(tensor)}' has {rows} rows, but {interleavedHeads} heads of {headDim} need {(long)interleavedHeads * headDim}");
    }

    public int Rows { get; }

    public bool IsIdentity => _heads == 0;

    /// <summary>The stored row that holds Hugging Face row <paramref name="row"/>.</summary>
    public int StoredRow(int row)
    {
        if (_heads == 0) return row;
        int half = _headDim / 2;
        int head = row / _headDim, within = row % _headDim;
        int s = within / half, i = within % half;
        return head * _headDim + 2 * i + s;
    }

    /// <summary>A copy of <paramref name="data"/> (rows of equal byte length) in Hugging Face row order.</summary>
    public ReadOnlyMemory<byte> Reorder(ReadOnlyMemory<byte> data)
    {
        int rowBytes = data.Length / Rows;
        var result = new byte[data.Length];
        var source = data.Span;
        for (int row = 0; row < Rows; row++)
            source.Slice(StoredRow(row) * rowBytes, rowBytes).CopyTo(result.AsSpan(row * rowBytes, rowBytes));
        return result;
    }
}
