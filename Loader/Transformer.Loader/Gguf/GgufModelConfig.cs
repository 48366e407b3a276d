using Transformer.Kernels.Backend;
using Transformer.Loader.Config;

namespace Transformer.Loader.Gguf;

/// <summary>
/// Reads a GGUF file's hyperparameters (<c>ARCH.block_count</c>, <c>ARCH.attention.head_count</c>, …) and
/// tokenizer ids into a validated <see cref="ModelConfig"/>. Biases and a tied classifier are read from which
/// tensors the file holds, as llama.cpp does. The config describes the weights as <see cref="GgufWeightSource"/>
/// presents them: Hugging Face names and row order, so RoPE is always rotate_half.
/// </summary>
public static class GgufModelConfig
{
    /// <summary>Builds the configuration of <paramref name="file"/>.</summary>
    /// <exception cref="ModelFormatException">A key is missing, of the wrong type, or describes something the engine does not run.</exception>
    public static ModelConfig Read(GgufFile file)
    {
        string source = file.FilePath;
        var architecture = GgufArchitectures.Find(file.Architecture, source);
        var m = file.Metadata;
        string a = architecture.Name;

        int hidden = m.RequiredInt($"{a}.embedding_length");
        int heads = m.RequiredInt($"{a}.attention.head_count");
        if (heads <= 0) throw new ModelFormatException($"{source}: {a}.attention.head_count must be positive, got {heads}");
        int headDim = m.OptionalInt($"{a}.attention.key_length") ?? HeadDimFromHidden(source, a, hidden, heads);
        if (m.OptionalInt($"{a}.attention.value_length") is { } valueLength && valueLength != headDim)
            throw new ModelFormatException($"{source}: {a}.attention.value_length ({valueLength}) differs from the key length ({headDim}), which this engine does not support");
        if (m.OptionalInt($"{a}.rope.dimension_count") is { } ropeDims && ropeDims != headDim)
            throw new ModelFormatException($"{source}: {a}.rope.dimension_count ({ropeDims}) is not the head size ({headDim}); partial rotary embeddings are not supported");
        RejectRopeScaling(file, a);

        if (!file.TryGetTensor("token_embd.weight", out var embedding) || embedding.Dimensions.Count != 2)
            throw new ModelFormatException($"{source}: no 2-D token_embd.weight tensor, so the vocabulary size is unknown");
        int vocab = (int)embedding.Dimensions[1];
        if (m.OptionalInt($"{a}.vocab_size") is { } declared && declared != vocab)
            throw new ModelFormatException($"{source}: {a}.vocab_size is {declared} but token_embd.weight has {vocab} rows");

        bool Has(string part) => file.TryGetTensor(GgufTensorNames.LayerTensor(0, part), out _);
        var config = new ModelConfig
        {
            Architecture = architecture.HuggingFaceArchitecture,
            HiddenSize = hidden,
            IntermediateSize = m.RequiredInt($"{a}.feed_forward_length"),
            NumLayers = m.RequiredInt($"{a}.block_count"),
            NumHeads = heads,
            NumKvHeads = m.OptionalInt($"{a}.attention.head_count_kv") ?? heads,
            HeadDim = headDim,
            VocabSize = vocab,
            MaxPositions = m.RequiredInt($"{a}.context_length"),
            RmsNormEps = m.RequiredFloat($"{a}.attention.layer_norm_rms_epsilon"),
            RopeTheta = m.OptionalFloat($"{a}.rope.freq_base") ?? 10000f,
            // GgufWeightSource undoes llama.cpp's row interleaving, so every architecture is seen in HF order.
            RopeStyle = RopeStyle.RotateHalf,
            TieWordEmbeddings = !file.TryGetTensor("output.weight", out _),
            AttentionBias = Has("attn_q.bias"),
            OutputProjectionBias = Has("attn_output.bias"),
            MlpBias = Has("ffn_up.bias"),
            BosTokenId = m.OptionalInt("tokenizer.ggml.bos_token_id"),
            EosTokenIds = EndTokens(m),
            RopeFrequencyFactors = RopeFrequencyFactors(file, headDim / 2),
        };
        config.Validate(source);
        return config;
    }

    /// <summary>EOS, then end-of-turn and end-of-message when the file names them: llama.cpp stops at any of them.</summary>
    private static IReadOnlyList<int> EndTokens(GgufMetadata m) =>
        new[] { "tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id" }
            .Select(m.OptionalInt).OfType<int>().Distinct().ToArray();

    private static int HeadDimFromHidden(string source, string a, int hidden, int heads)
    {
        if (hidden % heads != 0)
            throw new ModelFormatException(
                $"{source}: {a}.attention.key_length is not given and {a}.embedding_length ({hidden}) is not divisible by the head count ({heads})");
        return hidden / heads;
    }

    private static void RejectRopeScaling(GgufFile file, string a)
    {
        string? type = file.Metadata.OptionalString($"{a}.rope.scaling.type");
        if (type is not (null or "none"))
            throw new ModelFormatException($"{file.FilePath}: {a}.rope.scaling.type '{InputQuote.Cap(type)}' is not supported; supported: none");
    }

    /// <summary>
    /// Llama 3.1+ files carry their frequency scaling as <c>rope_freqs.weight</c>, one F32 divisor per rotated pair,
    /// instead of metadata; null when the file has none.
    /// </summary>
    private static float[]? RopeFrequencyFactors(GgufFile file, int pairs)
    {
        if (!file.TryGetTensor(RopeFrequenciesTensor, out var tensor)) return null;
        if (tensor.Type != GgmlType.F32 || tensor.Dimensions.Count != 1 || tensor.Dimensions[0] != pairs)
            throw new ModelFormatException($"{file.FilePath}: {RopeFrequenciesTensor} is {tensor}; expected F32[{pairs}], one factor per rotated pair");
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(file.Data(tensor).Span).ToArray();
    }

    /// <summary>The GGUF tensor of per-pair RoPE frequency factors (read into the config, not a weight).</summary>
    internal const string RopeFrequenciesTensor = "rope_freqs.weight";
}
