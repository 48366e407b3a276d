using Transformer.Kernels.Backend;
using Transformer.Kernels.Quantized;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Loader.Gguf;

namespace Transformer.Runtime.Llama;

/// <summary>One decoder layer's weights as the backend holds them.</summary>
public sealed class LlamaLayerWeights : IDisposable
{
    /// <summary>RMSNorm before attention, [1, hidden].</summary>
    public required DeviceTensor AttentionNorm { get; init; }
    /// <summary>Query, key, value and output projections.</summary>
    public required DeviceWeight Query { get; init; }
    /// <inheritdoc cref="Query"/>
    public required DeviceWeight Key { get; init; }
    /// <inheritdoc cref="Query"/>
    public required DeviceWeight Value { get; init; }
    /// <inheritdoc cref="Query"/>
    public required DeviceWeight Output { get; init; }
    /// <summary>Projection biases, present when the config says so.</summary>
    public DeviceTensor? QueryBias { get; init; }
    /// <inheritdoc cref="QueryBias"/>
    public DeviceTensor? KeyBias { get; init; }
    /// <inheritdoc cref="QueryBias"/>
    public DeviceTensor? ValueBias { get; init; }
    /// <inheritdoc cref="QueryBias"/>
    public DeviceTensor? OutputBias { get; init; }
    /// <summary>RMSNorm before the MLP, [1, hidden].</summary>
    public required DeviceTensor MlpNorm { get; init; }
    /// <summary>SwiGLU MLP projections.</summary>
    public required DeviceWeight Gate { get; init; }
    /// <inheritdoc cref="Gate"/>
    public required DeviceWeight Up { get; init; }
    /// <inheritdoc cref="Gate"/>
    public required DeviceWeight Down { get; init; }
    /// <summary>MLP biases, present when the config says so.</summary>
    public DeviceTensor? GateBias { get; init; }
    /// <inheritdoc cref="GateBias"/>
    public DeviceTensor? UpBias { get; init; }
    /// <inheritdoc cref="GateBias"/>
    public DeviceTensor? DownBias { get; init; }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var d in new IDisposable?[] { AttentionNorm, Query, Key, Value, Output, QueryBias, KeyBias, ValueBias, OutputBias, MlpNorm, Gate, Up, Down, GateBias, UpBias, DownBias })
            d?.Dispose();
    }
}

/// <summary>
/// All weights of a Llama-family model, looked up by their Hugging Face names and checked against
/// the config's shapes, then handed to the backend in the requested format.
/// </summary>
public sealed class LlamaWeights : IDisposable
{
    private LlamaWeights(DeviceWeight embedding, DeviceWeight lmHead, DeviceTensor finalNorm, LlamaLayerWeights[] layers)
    {
        Embedding = embedding;
        LmHead = lmHead;
        FinalNorm = finalNorm;
        Layers = layers;
    }

    /// <summary>Token embedding table [vocab, hidden].</summary>
    public DeviceWeight Embedding { get; }
    /// <summary>Classifier [vocab, hidden]; the embedding table itself when tied.</summary>
    public DeviceWeight LmHead { get; }
    /// <summary>Final RMSNorm, [1, hidden].</summary>
    public DeviceTensor FinalNorm { get; }
    /// <summary>Decoder layers, bottom first.</summary>
    public IReadOnlyList<LlamaLayerWeights> Layers { get; }

    /// <summary>
    /// Weight bytes one decode step reads, in the backend's format: every layer matrix plus the
    /// classifier (the embedding contributes one row, which is negligible). For bandwidth figures.
    /// </summary>
    public long DecodeBytesPerToken =>
        Layers.Sum(l => l.Query.ByteSize + l.Key.ByteSize + l.Value.ByteSize + l.Output.ByteSize + l.Gate.ByteSize + l.Up.ByteSize + l.Down.ByteSize)
        + LmHead.ByteSize;

    /// <summary>
    /// Suffix of the I8 values [out, K] of a matrix stored pre-quantized (<c>transformer quantize</c>):
    /// <c>model.layers.0.mlp.up_proj.weight.q8</c> stands in for <c>model.layers.0.mlp.up_proj.weight</c>.
    /// </summary>
    public const string QuantizedValuesSuffix = ".q8";

    /// <summary>Suffix of the F32 block scales [out, K/32] that go with <see cref="QuantizedValuesSuffix"/>.</summary>
    public const string QuantizedScalesSuffix = ".q8_scales";

    /// <summary>
    /// Reads, checks and prepares every weight. A matrix stored pre-quantized (values under
    /// <c>NAME.q8</c>, scales under <c>NAME.q8_scales</c>) is handed to the backend as it is, whatever
    /// <paramref name="format"/> says: the file has already chosen, and re-quantizing is what it avoids.
    /// </summary>
    public static LlamaWeights Load(ModelConfig config, IWeightSource source, IBackend backend, WeightFormat format)
    {
        int hidden = config.HiddenSize, ffn = config.IntermediateSize, q = config.QueryWidth, kv = config.KvWidth;
        DeviceWeight Prepare(string name, int rows, int columns, WeightFormat wanted) =>
            PrepareMatrix(source, backend, name, rows, columns, Q4KMix.Resolve(wanted, name, config.NumLayers, config.TieWordEmbeddings));
        DeviceWeight Matrix(string name, int rows, int columns) => Prepare(name, rows, columns, format);
        DeviceTensor Vector(string name, int length) => backend.Upload(source.Get(name, length).ToFloat32(), 1, length);
        DeviceTensor? Bias(bool present, string name, int length) => present ? Vector(name, length) : null;

        // The embedding is gathered row by row; it stays float32 unless it doubles as the classifier.
        var embedding = Prepare("model.embed_tokens.weight", config.VocabSize, hidden,
            config.TieWordEmbeddings ? format : WeightFormat.F32);
        var lmHead = config.TieWordEmbeddings ? embedding : Matrix("lm_head.weight", config.VocabSize, hidden);
        var layers = new LlamaLayerWeights[config.NumLayers];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"model.layers.{i}.";
            layers[i] = new LlamaLayerWeights
            {
                AttentionNorm = Vector(p + "input_layernorm.weight", hidden),
                Query = Matrix(p + "self_attn.q_proj.weight", q, hidden),
                Key = Matrix(p + "self_attn.k_proj.weight", kv, hidden),
                Value = Matrix(p + "self_attn.v_proj.weight", kv, hidden),
                Output = Matrix(p + "self_attn.o_proj.weight", hidden, q),
                QueryBias = Bias(config.AttentionBias, p + "self_attn.q_proj.bias", q),
                KeyBias = Bias(config.AttentionBias, p + "self_attn.k_proj.bias", kv),
                ValueBias = Bias(config.AttentionBias, p + "self_attn.v_proj.bias", kv),
                OutputBias = Bias(config.OutputProjectionBias, p + "self_attn.o_proj.bias", hidden),
                MlpNorm = Vector(p + "post_attention_layernorm.weight", hidden),
                Gate = Matrix(p + "mlp.gate_proj.weight", ffn, hidden),
                Up = Matrix(p + "mlp.up_proj.weight", ffn, hidden),
                Down = Matrix(p + "mlp.down_proj.weight", hidden, ffn),
                GateBias = Bias(config.MlpBias, p + "mlp.gate_proj.bias", ffn),
                UpBias = Bias(config.MlpBias, p + "mlp.up_proj.bias", ffn),
                DownBias = Bias(config.MlpBias, p + "mlp.down_proj.bias", hidden),
            };
        }
        return new LlamaWeights(embedding, lmHead, Vector("model.norm.weight", hidden), layers);
    }

    /// <summary>
    /// One [rows, columns] matrix on the backend: as stored pre-quantized (<c>NAME.q8</c> + <c>NAME.q8_scales</c>)
    /// when the file has it, else in <paramref name="format"/>. Every family loads its matrices through this.
    /// </summary>
    public static DeviceWeight PrepareMatrix(IWeightSource source, IBackend backend, string name, int rows, int columns, WeightFormat format)
    {
        if (source.TryGet(name + QuantizedValuesSuffix, out _))
            return backend.PrepareQuantizedWeight(name, Q8Weight.FromTensors(
                source.Get(name + QuantizedValuesSuffix, rows, columns),
                source.Get(name + QuantizedScalesSuffix, rows, Q8Format.BlocksPerRow(columns))));
        if (source.TryGet(name + GgufKQuants.Q4KCodesSuffix, out _))
            return backend.PrepareQuantizedWeight(name, Q4KWeight.FromTensors(
                source.Get(name + GgufKQuants.Q4KCodesSuffix, rows, columns / 2),
                source.Get(name + GgufKQuants.Q4KScalesSuffix, rows, Q8Format.BlocksPerRow(columns)),
                source.Get(name + GgufKQuants.Q4KMinsSuffix, rows, Q8Format.BlocksPerRow(columns))));
        if (source.TryGet(name + GgufKQuants.Q6KBlocksSuffix, out _))
            return backend.PrepareQuantizedWeight(name, Q6KWeight.FromTensors(
                source.Get(name + GgufKQuants.Q6KBlocksSuffix, rows, Q8Format.BlocksPerRow(columns) * Q6KWeight.BlockBytes),
                source.Get(name + GgufKQuants.Q6KScalesSuffix, rows, Q8Format.BlocksPerRow(columns))));
        if (source.TryGet(name + GgufQ4_0.CodesSuffix, out _))
            return backend.PrepareQuantizedWeight(name, Q4Weight.FromTensors(
                source.Get(name + GgufQ4_0.CodesSuffix, rows, columns / 2),
                source.Get(name + GgufQ4_0.ScalesSuffix, rows, Q8Format.BlocksPerRow(columns))));
        return backend.PrepareWeight(source.Get(name, rows, columns), format);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var layer in Layers) layer.Dispose();
        if (!ReferenceEquals(LmHead, Embedding)) LmHead.Dispose();
        Embedding.Dispose();
        FinalNorm.Dispose();
    }
}
