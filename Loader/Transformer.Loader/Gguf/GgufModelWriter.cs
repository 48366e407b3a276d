using Transformer.Kernels.Quantized.Ggml;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Config;

namespace Transformer.Loader.Gguf;

/// <summary>
/// Writes a model (Hugging Face names, as any <see cref="IWeightSource"/> presents it) as a GGUF file llama.cpp
/// loads: llama.cpp's tensor names and hyperparameter keys, query/key rows in the order its RoPE expects, vectors
/// in F32 and matrices in the type <see cref="GgufMatrixTypes"/> chooses for each. The tokenizer's metadata is added by the caller.
/// </summary>
public static class GgufModelWriter
{
    /// <summary>Encodes one row of float32 values into the bytes of a type (whole blocks of it).</summary>
    private delegate void RowEncoder(ReadOnlySpan<float> row, Span<byte> destination);

    /// <summary>
    /// How each matrix type is written, one row at a time. A new block type is one entry here (its quantizer must
    /// write what llama.cpp's reference quantizer writes).
    /// </summary>
    private static readonly Dictionary<GgmlType, RowEncoder> s_encoders = new()
    {
        [GgmlType.F32] = (row, destination) => MemoryMarshal.AsBytes(row).CopyTo(destination),
        [GgmlType.F16] = (row, destination) =>
        {
            var halves = MemoryMarshal.Cast<byte, Half>(destination);
            for (int i = 0; i < row.Length; i++) halves[i] = (Half)row[i];
        },
        [GgmlType.Q8_0] = GgmlQ8_0.QuantizeRow,
        [GgmlType.Q4_0] = GgmlQ4_0.QuantizeRow,
        [GgmlType.Q5_0] = GgmlQ5_0.QuantizeRow,
        [GgmlType.Q4_K] = GgmlQ4_K.QuantizeRow,
        [GgmlType.Q6_K] = GgmlQ6_K.QuantizeRow,
    };

    /// <summary>Matrix types this writer produces.</summary>
    public static IReadOnlyList<GgmlType> MatrixTypes { get; } = [.. s_encoders.Keys];

    /// <summary>
    /// Writes <paramref name="weights"/> of <paramref name="config"/> to <paramref name="path"/>, matrices as
    /// <paramref name="matrixType"/> (a matrix whose rows are not whole blocks of that type is written F16, as
    /// llama.cpp's converter does: <c>convert_hf_to_gguf.py --outtype q8_0</c> falls back to F16 for such rows). <paramref name="addMetadata"/> adds the tokenizer keys (and any other).
    /// </summary>
    /// <exception cref="ArgumentException">The architecture, a tensor or the type cannot be written.</exception>
    public static void Write(string path, ModelConfig config, IWeightSource weights, GgmlType matrixType, Action<GgufWriter>? addMetadata = null) =>
        Write(path, config, weights, GgufMatrixTypes.Uniform(matrixType), addMetadata);

    /// <summary>As the other overload, each matrix in the type <paramref name="matrixTypes"/> chooses for it.</summary>
    /// <exception cref="ArgumentException">The architecture, a tensor or a type cannot be written.</exception>
    public static void Write(string path, ModelConfig config, IWeightSource weights, GgufMatrixTypes matrixTypes, Action<GgufWriter>? addMetadata = null)
    {
        foreach (var type in matrixTypes.Types)
        {
            if (!MatrixTypes.Contains(type))
                throw new ArgumentException($"matrices can be written as {string.Join(", ", MatrixTypes)}, not {type}", nameof(matrixTypes));
        }
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
            bool hasOutput = tensors.Any(t => t.Name == "output.weight");
            var types = tensors.Select(t => t.Tensor.Shape.Count == 1 ? GgmlType.F32
                : matrixTypes.TypeFor(t.Name, t.Tensor.Shape[^1], config.NumLayers, hasOutput)).ToArray();
            for (int i = 0; i < tensors.Length; i++)
                gguf.DeclareTensor(tensors[i].Name, types[i], tensors[i].Tensor.Shape.Reverse().Select(d => (long)d).ToArray());
            float[]? ropeFactors = RopeFrequencyFactors(config);
            if (ropeFactors is not null) gguf.DeclareTensor(GgufModelConfig.RopeFrequenciesTensor, GgmlType.F32, ropeFactors.Length);
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
            if (ropeFactors is not null)
                gguf.WriteTensorData(GgufModelConfig.RopeFrequenciesTensor, System.Runtime.InteropServices.MemoryMarshal.AsBytes(ropeFactors.AsSpan()));
        }
        File.Move(partial, path, overwrite: true);
    }

    /// <summary>
    /// Llama 3's frequency scaling as llama.cpp stores it, one divisor per rotated pair in <c>rope_freqs.weight</c>:
    /// the file's own factors when it came from a GGUF, else computed from <c>rope_scaling</c> as llama.cpp's
    /// converter does (in double precision: 1 for short wavelengths, the factor for long ones, and
    /// 1 / ((1 − s) / factor + s) between); null without scaling.
    /// </summary>
    private static float[]? RopeFrequencyFactors(ModelConfig config)
    {
        if (config.RopeFrequencyFactors is { } stored) return [.. stored];
        if (config.RopeScaling is not { } s) return null;
        int pairs = config.RotaryDim / 2;
        double low = s.OriginalMaxPositions / (double)s.LowFrequencyFactor, high = s.OriginalMaxPositions / (double)s.HighFrequencyFactor;
        var factors = new float[pairs];
        for (int i = 0; i < pairs; i++)
        {
            double frequency = 1.0 / MathF.Pow(config.RopeTheta, 2 * i / (float)config.RotaryDim);
            double wavelength = 2 * Math.PI / frequency;
            double smooth = (s.OriginalMaxPositions / wavelength - s.LowFrequencyFactor) / (s.HighFrequencyFactor - s.LowFrequencyFactor);
            factors[i] = (float)(wavelength < high ? 1.0 : wavelength > low ? s.Factor : 1.0 / ((1 - smooth) / s.Factor + smooth));
        }
        return factors;
    }

    /// <summary>The tensor's values in <paramref name="type"/>, stored row r at <c>order.StoredRow(r)</c>.</summary>
    private static byte[] Encode(HostTensor tensor, GgmlType type, RowOrder order)
    {
        float[] values = tensor.ToFloat32();
        int rows = tensor.Shape[0]; // a vector's rows are its elements
        int columns = (int)(values.Length / rows);
        GgmlTypes.TryGetLayout(type, out int blockSize, out int blockBytes);
        int rowBytes = columns / blockSize * blockBytes;
        var output = new byte[(long)rows * rowBytes];
        var encode = s_encoders[type];
        // Rows are encoded from their own values alone, so in parallel they are the same bytes (a K-quant row takes
        // tens of microseconds a super-block: one thread made writing a 1B model's Q4_K_M file take minutes).
        try
        {
            Parallel.For(0, rows, row =>
                encode(values.AsSpan(row * columns, columns), output.AsSpan(order.StoredRow(row) * rowBytes, rowBytes)));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        return output;
    }

    private static void AddHyperparameters(GgufWriter gguf, string a, ModelConfig config)
    {
        if (config.SlidingWindow is not null)
            throw new ArgumentException("sliding windows are not written to GGUF yet", nameof(config));
        if (config.LongRope is not null)
            throw new ArgumentException("LongRoPE scaling is not written to GGUF yet", nameof(config));
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
