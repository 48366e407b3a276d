using Transformer.Kernels.Quantized.Ggml;
using System.Runtime.InteropServices;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Config;

namespace Transformer.Loader.Gguf;

/// <summary>
/// Writes a model (Hugging Face names, as any <see cref="IWeightSource"/> presents it) as a GGUF file llama.cpp
/// loads: llama.cpp's tensor names and hyperparameter keys, query/key rows in the order its RoPE expects, vectors
/// in F32 and matrices in the chosen type. The tokenizer's metadata is added by the caller.
/// </summary>
public static class GgufModelWriter
{
    /// <summary>Matrix types this writer produces.</summary>
    public static IReadOnlyList<GgmlType> MatrixTypes { get; } = [GgmlType.F32, GgmlType.F16, GgmlType.Q8_0];

    /// <summary>
    /// Writes <paramref name="weights"/> of <paramref name="config"/> to <paramref name="path"/>, matrices as
    /// <paramref name="matrixType"/> (a Q8_0 matrix whose rows are not whole blocks is written F16, as llama.cpp's
    /// quantizer does). <paramref name="addMetadata"/> adds the tokenizer keys (and any other).
    /// </summary>
    /// <exception cref="ArgumentException">The architecture, a tensor or the type cannot be written.</exception>
    public static void Write(string path, ModelConfig config, IWeightSource weights, GgmlType matrixType, Action<GgufWriter>? addMetadata = null)
    {
        if (!MatrixTypes.Contains(matrixType))
            throw new ArgumentException($"matrices can be written as {string.Join(", ", MatrixTypes)}, not {matrixType}", nameof(matrixType));
        var architecture = GgufArchitectures.All.FirstOrDefault(a => a.HuggingFaceArchitecture == config.Architecture)
            ?? throw new ArgumentException($"no GGUF architecture for {config.Architecture}", nameof(config));
        // Rows held in HF order are interleaved for llama.cpp's RoPE; a llama2.c checkpoint already holds them interleaved.
        bool interleave = architecture.QueryKeyRowsInterleaved && config.RopeStyle == RopeStyle.RotateHalf;
        if (!architecture.QueryKeyRowsInterleaved && config.RopeStyle != RopeStyle.RotateHalf)
            throw new ArgumentException($"{architecture.Name} GGUF files hold rotate_half rows; these weights use {config.RopeStyle}", nameof(config));

        var tensors = weights.Tensors.Select(t => (Tensor: t,
            Name: GgufTensorNames.ToGguf(t.Name, architecture) ?? throw new ArgumentException($"no GGUF name for tensor '{t.Name}'", nameof(weights)))).ToArray();
        string partial = path + ".partial";
        using (var gguf = new GgufWriter(new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20)))
        {
            AddHyperparameters(gguf, architecture.Name, config);
            addMetadata?.Invoke(gguf);
            var types = tensors.Select(t => TypeOf(t.Tensor, matrixType)).ToArray();
            for (int i = 0; i < tensors.Length; i++)
                gguf.DeclareTensor(tensors[i].Name, types[i], tensors[i].Tensor.Shape.Reverse().Select(d => (long)d).ToArray());
            gguf.WriteHeader();
            for (int i = 0; i < tensors.Length; i++)
            {
                var (tensor, name) = tensors[i];
                int heads = !interleave ? 0
                    : name.EndsWith(".attn_q.weight", StringComparison.Ordinal) || name.EndsWith(".attn_q.bias", StringComparison.Ordinal) ? config.NumHeads
                    : name.EndsWith(".attn_k.weight", StringComparison.Ordinal) || name.EndsWith(".attn_k.bias", StringComparison.Ordinal) ? config.NumKvHeads
                    : 0;
                gguf.WriteTensorData(name, Encode(tensor, types[i], new RowOrder(tensor.Shape[0], heads, config.HeadDim, path, name)));
            }
        }
        File.Move(partial, path, overwrite: true);
    }

    private static GgmlType TypeOf(HostTensor tensor, GgmlType matrixType) =>
        tensor.Shape.Count == 1 ? GgmlType.F32
        : matrixType == GgmlType.Q8_0 && tensor.Shape[^1] % GgmlQ8_0.BlockSize != 0 ? GgmlType.F16
        : matrixType;

    /// <summary>The tensor's values in <paramref name="type"/>, stored row r at <c>order.StoredRow(r)</c>.</summary>
    private static byte[] Encode(HostTensor tensor, GgmlType type, RowOrder order)
    {
        float[] values = tensor.ToFloat32();
        int rows = tensor.Shape[0]; // a vector's rows are its elements
        int columns = (int)(values.Length / rows);
        GgmlTypes.TryGetLayout(type, out int blockSize, out int blockBytes);
        int rowBytes = columns / blockSize * blockBytes;
        var output = new byte[(long)rows * rowBytes];
        for (int row = 0; row < rows; row++)
        {
            var source = values.AsSpan(row * columns, columns);
            var destination = output.AsSpan(order.StoredRow(row) * rowBytes, rowBytes);
            switch (type)
            {
                case GgmlType.F32: MemoryMarshal.AsBytes(source).CopyTo(destination); break;
                case GgmlType.F16:
                    var halves = MemoryMarshal.Cast<byte, Half>(destination);
                    for (int i = 0; i < columns; i++) halves[i] = (Half)source[i];
                    break;
                default: GgmlQ8_0.QuantizeRow(source, destination); break;
            }
        }
        return output;
    }

    private static void AddHyperparameters(GgufWriter gguf, string a, ModelConfig config)
    {
        if (config.RopeScaling is not null || config.SlidingWindow is not null)
            throw new ArgumentException("RoPE scaling and sliding windows are not written to GGUF yet", nameof(config));
        gguf.Add("general.architecture", a);
        gguf.Add("general.alignment", (uint)GgufWriter.Alignment);
        gguf.Add($"{a}.vocab_size", (uint)config.VocabSize);
        gguf.Add($"{a}.context_length", (uint)config.MaxPositions);
        gguf.Add($"{a}.embedding_length", (uint)config.HiddenSize);
        gguf.Add($"{a}.block_count", (uint)config.NumLayers);
        gguf.Add($"{a}.feed_forward_length", (uint)config.IntermediateSize);
        gguf.Add($"{a}.attention.head_count", (uint)config.NumHeads);
        gguf.Add($"{a}.attention.head_count_kv", (uint)config.NumKvHeads);
        gguf.Add($"{a}.attention.key_length", (uint)config.HeadDim);
        gguf.Add($"{a}.attention.value_length", (uint)config.HeadDim);
        gguf.Add($"{a}.attention.layer_norm_rms_epsilon", config.RmsNormEps);
        gguf.Add($"{a}.rope.dimension_count", (uint)config.HeadDim);
        gguf.Add($"{a}.rope.freq_base", config.RopeTheta);
    }
}
