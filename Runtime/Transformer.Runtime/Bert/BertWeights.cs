using Transformer.Kernels.Backend;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime.Llama;

namespace Transformer.Runtime.Bert;

/// <summary>A dense layer's weight [out, in] and bias [1, out].</summary>
public sealed record BertLinear(DeviceWeight Weight, DeviceTensor Bias) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        Weight.Dispose();
        Bias.Dispose();
    }
}

/// <summary>A LayerNorm's gain and bias, [1, hidden] each.</summary>
public sealed record BertNorm(DeviceTensor Weight, DeviceTensor Bias) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        Weight.Dispose();
        Bias.Dispose();
    }
}

/// <summary>One BERT encoder layer's weights: self-attention, its output projection and norm, the MLP and its norm.</summary>
public sealed record BertLayerWeights(
    BertLinear Query, BertLinear Key, BertLinear Value, BertLinear AttentionOutput, BertNorm AttentionNorm,
    BertLinear Intermediate, BertLinear Output, BertNorm OutputNorm) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var d in new IDisposable[] { Query, Key, Value, AttentionOutput, AttentionNorm, Intermediate, Output, OutputNorm }) d.Dispose();
    }
}

/// <summary>
/// A BERT encoder's weights by their Hugging Face names (<c>embeddings.word_embeddings.weight</c>,
/// <c>encoder.layer.N.attention.self.query.weight</c>, ...), with or without the <c>bert.</c> prefix of the
/// BertFor* checkpoints. The embedding tables stay float32 (they are gathered, not multiplied); the layers'
/// matrices take the requested format, or the Q8 form a pre-quantized file stores.
/// </summary>
public sealed class BertWeights : IDisposable
{
    private static readonly string[] s_prefixes = ["", "bert."];

    private BertWeights(DeviceWeight words, DeviceWeight positions, DeviceWeight tokenTypes, BertNorm embeddingNorm, BertLayerWeights[] layers)
    {
        WordEmbedding = words;
        PositionEmbedding = positions;
        TokenTypeEmbedding = tokenTypes;
        EmbeddingNorm = embeddingNorm;
        Layers = layers;
    }

    /// <summary>Token embeddings [vocab, hidden].</summary>
    public DeviceWeight WordEmbedding { get; }
    /// <summary>Learned absolute position embeddings [max_positions, hidden].</summary>
    public DeviceWeight PositionEmbedding { get; }
    /// <summary>Token-type (segment) embeddings [type_vocab, hidden].</summary>
    public DeviceWeight TokenTypeEmbedding { get; }
    /// <summary>The LayerNorm applied to the summed embeddings.</summary>
    public BertNorm EmbeddingNorm { get; }
    /// <summary>Encoder layers, bottom first.</summary>
    public IReadOnlyList<BertLayerWeights> Layers { get; }

    /// <summary>Reads, checks and prepares every weight.</summary>
    public static BertWeights Load(BertConfig config, IWeightSource source, IBackend backend, WeightFormat format)
    {
        string prefix = s_prefixes.FirstOrDefault(p => source.TryGet(p + "embeddings.word_embeddings.weight", out _))
            ?? throw new ModelFormatException($"{source.Description}: missing tensor 'embeddings.word_embeddings.weight' (nor under 'bert.')");
        int hidden = config.HiddenSize, ffn = config.IntermediateSize;
        DeviceWeight Table(string name, int rows) => backend.PrepareWeight(source.Get(prefix + name, rows, hidden), WeightFormat.F32);
        DeviceTensor Vector(string name, int length) => backend.Upload(source.Get(prefix + name, length).ToFloat32(), 1, length);
        BertLinear Linear(string name, int rows, int columns) => new(
            LlamaWeights.PrepareMatrix(source, backend, prefix + name + ".weight", rows, columns, format), Vector(name + ".bias", rows));
        BertNorm Norm(string name) => new(Vector(name + ".weight", hidden), Vector(name + ".bias", hidden));

        var layers = new BertLayerWeights[config.NumLayers];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"encoder.layer.{i}.";
            layers[i] = new BertLayerWeights(
                Query: Linear(p + "attention.self.query", hidden, hidden),
                Key: Linear(p + "attention.self.key", hidden, hidden),
                Value: Linear(p + "attention.self.value", hidden, hidden),
                AttentionOutput: Linear(p + "attention.output.dense", hidden, hidden),
                AttentionNorm: Norm(p + "attention.output.LayerNorm"),
                Intermediate: Linear(p + "intermediate.dense", ffn, hidden),
                Output: Linear(p + "output.dense", hidden, ffn),
                OutputNorm: Norm(p + "output.LayerNorm"));
        }
        return new BertWeights(
            Table("embeddings.word_embeddings.weight", config.VocabSize),
            Table("embeddings.position_embeddings.weight", config.MaxPositions),
            Table("embeddings.token_type_embeddings.weight", config.TypeVocabSize),
            Norm("embeddings.LayerNorm"),
            layers);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var layer in Layers) layer.Dispose();
        WordEmbedding.Dispose();
        PositionEmbedding.Dispose();
        TokenTypeEmbedding.Dispose();
        EmbeddingNorm.Dispose();
    }
}
