using Transformer.Kernels.Backend;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime.Llama;

namespace Transformer.Runtime.Gemma;

/// <summary>One Gemma decoder layer's weights: four norms around attention and the MLP, and q/k norms in Gemma 3.</summary>
public sealed class GemmaLayerWeights : IDisposable
{
    /// <summary>Norm before attention (input_layernorm), stored here as 1 + w.</summary>
    public required DeviceTensor AttentionNorm { get; init; }
    /// <summary>Projections.</summary>
    public required DeviceWeight Query { get; init; }
    /// <inheritdoc cref="Query"/>
    public required DeviceWeight Key { get; init; }
    /// <inheritdoc cref="Query"/>
    public required DeviceWeight Value { get; init; }
    /// <inheritdoc cref="Query"/>
    public required DeviceWeight Output { get; init; }
    /// <summary>Per-head norms of q and k (Gemma 3), [1, head_dim], as 1 + w.</summary>
    public DeviceTensor? QueryNorm { get; init; }
    /// <inheritdoc cref="QueryNorm"/>
    public DeviceTensor? KeyNorm { get; init; }
    /// <summary>Norm of the attention output before the residual add (post_attention_layernorm), as 1 + w.</summary>
    public required DeviceTensor PostAttentionNorm { get; init; }
    /// <summary>Norm before the MLP (pre_feedforward_layernorm), as 1 + w.</summary>
    public required DeviceTensor PreMlpNorm { get; init; }
    /// <summary>Norm of the MLP output before the residual add (post_feedforward_layernorm), as 1 + w.</summary>
    public required DeviceTensor PostMlpNorm { get; init; }
    /// <summary>GeGLU MLP projections.</summary>
    public required DeviceWeight Gate { get; init; }
    /// <inheritdoc cref="Gate"/>
    public required DeviceWeight Up { get; init; }
    /// <inheritdoc cref="Gate"/>
    public required DeviceWeight Down { get; init; }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var d in new IDisposable?[] { AttentionNorm, Query, Key, Value, Output, QueryNorm, KeyNorm, PostAttentionNorm, PreMlpNorm, PostMlpNorm, Gate, Up, Down })
            d?.Dispose();
    }
}

/// <summary>
/// A Gemma 2/3 model's weights by their Hugging Face names. A standalone text model names them
/// <c>model.layers.N...</c>; the language model inside a <c>Gemma3ForConditionalGeneration</c> checkpoint
/// <c>model.language_model.layers.N...</c> (or <c>language_model.model.layers.N...</c> in older exports); the
/// prefix is found from the embedding's name. Gemma's RMSNorm multiplies by (1 + w): the 1 is added here once,
/// so the backend's plain RMSNorm computes it.
/// </summary>
public sealed class GemmaWeights : IDisposable
{
    private static readonly string[] s_prefixes = ["model.", "model.language_model.", "language_model.model."];

    private GemmaWeights(DeviceWeight embedding, DeviceTensor finalNorm, GemmaLayerWeights[] layers)
    {
        Embedding = embedding;
        FinalNorm = finalNorm;
        Layers = layers;
    }

    /// <summary>Token embedding table [vocab, hidden], also the classifier (Gemma ties them).</summary>
    public DeviceWeight Embedding { get; }
    /// <summary>Final norm, as 1 + w.</summary>
    public DeviceTensor FinalNorm { get; }
    /// <summary>Decoder layers, bottom first.</summary>
    public IReadOnlyList<GemmaLayerWeights> Layers { get; }

    /// <summary>Weight bytes one decode step reads.</summary>
    public long DecodeBytesPerToken =>
        Layers.Sum(l => l.Query.ByteSize + l.Key.ByteSize + l.Value.ByteSize + l.Output.ByteSize + l.Gate.ByteSize + l.Up.ByteSize + l.Down.ByteSize)
        + Embedding.ByteSize;

    /// <summary>Reads, checks and prepares every weight.</summary>
    public static GemmaWeights Load(ModelConfig config, IWeightSource source, IBackend backend, WeightFormat format)
    {
        if (!config.TieWordEmbeddings)
            throw new ModelFormatException($"{source.Description}: Gemma ties lm_head to the embedding; tie_word_embeddings false is not supported");
        // A quantized checkpoint holds the tied embedding as NAME.q8 (or NAME.q4) only.
        string prefix = s_prefixes.FirstOrDefault(p => source.TryGet(p + "embed_tokens.weight", out _)
                || source.TryGet(p + "embed_tokens.weight" + LlamaWeights.QuantizedValuesSuffix, out _)
                || source.TryGet(p + "embed_tokens.weight" + Loader.Gguf.GgufQ4_0.CodesSuffix, out _))
            ?? throw new ModelFormatException($"{source.Description}: missing tensor 'model.embed_tokens.weight' (nor under model.language_model. or language_model.model.)");
        int hidden = config.HiddenSize, ffn = config.IntermediateSize, q = config.QueryWidth, kv = config.KvWidth, d = config.HeadDim;
        DeviceWeight Matrix(string name, int rows, int columns) => LlamaWeights.PrepareMatrix(source, backend, prefix + name, rows, columns,
            Q4KMix.Resolve(format, prefix + name, config.NumLayers, config.TieWordEmbeddings));
        DeviceTensor Norm(string name, int length)
        {
            float[] gain = source.Get(prefix + name, length).ToFloat32();
            for (int i = 0; i < gain.Length; i++) gain[i] += 1f; // x̂ · (1 + w)
            return backend.Upload(gain, 1, length);
        }

        var layers = new GemmaLayerWeights[config.NumLayers];
        bool qkNorm = config.Gemma?.QueryKeyNorm ?? false;
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"layers.{i}.";
            layers[i] = new GemmaLayerWeights
            {
                AttentionNorm = Norm(p + "input_layernorm.weight", hidden),
                Query = Matrix(p + "self_attn.q_proj.weight", q, hidden),
                Key = Matrix(p + "self_attn.k_proj.weight", kv, hidden),
                Value = Matrix(p + "self_attn.v_proj.weight", kv, hidden),
                Output = Matrix(p + "self_attn.o_proj.weight", hidden, q),
                QueryNorm = qkNorm ? Norm(p + "self_attn.q_norm.weight", d) : null,
                KeyNorm = qkNorm ? Norm(p + "self_attn.k_norm.weight", d) : null,
                PostAttentionNorm = Norm(p + "post_attention_layernorm.weight", hidden),
                PreMlpNorm = Norm(p + "pre_feedforward_layernorm.weight", hidden),
                PostMlpNorm = Norm(p + "post_feedforward_layernorm.weight", hidden),
                Gate = Matrix(p + "mlp.gate_proj.weight", ffn, hidden),
                Up = Matrix(p + "mlp.up_proj.weight", ffn, hidden),
                Down = Matrix(p + "mlp.down_proj.weight", hidden, ffn),
            };
        }
        // The embedding doubles as the classifier, so it takes the requested format.
        return new GemmaWeights(Matrix("embed_tokens.weight", config.VocabSize, hidden), Norm("norm.weight", hidden), layers);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var layer in Layers) layer.Dispose();
        Embedding.Dispose();
        FinalNorm.Dispose();
    }
}
