using Transformer.Kernels.Backend;
using Transformer.Kernels.Tensors;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime.Bert;

namespace Transformer.Runtime.NomicBert;

/// <summary>One nomic-bert layer's weights: q/k/v (rows of the fused Wqkv), out_proj, norm1, the SwiGLU MLP, norm2. No biases.</summary>
public sealed record NomicBertLayerWeights(
    DeviceWeight Query, DeviceWeight Key, DeviceWeight Value, DeviceWeight AttentionOutput, BertNorm AttentionNorm,
    DeviceWeight Up, DeviceWeight Gate, DeviceWeight Down, BertNorm OutputNorm) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var d in new IDisposable[] { Query, Key, Value, AttentionOutput, AttentionNorm, Up, Gate, Down, OutputNorm }) d.Dispose();
    }
}

/// <summary>
/// A nomic-bert encoder's weights by the names its checkpoints use (<c>embeddings.word_embeddings.weight</c>,
/// <c>emb_ln.*</c>, <c>encoder.layers.N.attn.Wqkv.weight</c>, <c>encoder.layers.N.mlp.fc11.weight</c>, ...). The fused
/// Wqkv [3·hidden, hidden] is split into its q, k and v rows at load, so attention takes them as BERT's do.
/// </summary>
public sealed class NomicBertWeights : IDisposable
{
    private NomicBertWeights(DeviceWeight words, DeviceWeight tokenTypes, BertNorm embeddingNorm, NomicBertLayerWeights[] layers)
    {
        WordEmbedding = words;
        TokenTypeEmbedding = tokenTypes;
        EmbeddingNorm = embeddingNorm;
        Layers = layers;
    }

    /// <summary>Token embeddings [vocab, hidden].</summary>
    public DeviceWeight WordEmbedding { get; }
    /// <summary>Token-type (segment) embeddings [type_vocab, hidden].</summary>
    public DeviceWeight TokenTypeEmbedding { get; }
    /// <summary>The LayerNorm applied to the summed embeddings (emb_ln).</summary>
    public BertNorm EmbeddingNorm { get; }
    /// <summary>Encoder layers, bottom first.</summary>
    public IReadOnlyList<NomicBertLayerWeights> Layers { get; }

    /// <summary>Reads, checks and prepares every weight; the embedding tables stay float32, the matrices take <paramref name="format"/>.</summary>
    public static NomicBertWeights Load(NomicBertConfig config, IWeightSource source, IBackend backend, WeightFormat format)
    {
        int hidden = config.HiddenSize, ffn = config.IntermediateSize;
        DeviceWeight Table(string name, int rows) => backend.PrepareWeight(source.Get(name, rows, hidden), WeightFormat.F32);
        DeviceWeight Matrix(string name, int rows, int columns) => backend.PrepareWeight(source.Get(name, rows, columns), format);
        DeviceTensor Vector(string name) => backend.Upload(source.Get(name, hidden).ToFloat32(), 1, hidden);
        BertNorm Norm(string name) => new(Vector(name + ".weight"), Vector(name + ".bias"));

        var layers = new NomicBertLayerWeights[config.NumLayers];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"encoder.layers.{i}.";
            var qkv = source.Get(p + "attn.Wqkv.weight", 3 * hidden, hidden);
            DeviceWeight Part(int index, string part)
            {
                long bytes = qkv.Data.Length / 3;
                var rows = new HostTensor($"{qkv.Name}[{part}]", qkv.Type, [hidden, hidden], qkv.Data.Slice((int)(index * bytes), (int)bytes));
                return backend.PrepareWeight(rows, format);
            }
            layers[i] = new NomicBertLayerWeights(
                Query: Part(0, "q"), Key: Part(1, "k"), Value: Part(2, "v"),
                AttentionOutput: Matrix(p + "attn.out_proj.weight", hidden, hidden),
                AttentionNorm: Norm(p + "norm1"),
                Up: Matrix(p + "mlp.fc11.weight", ffn, hidden),
                Gate: Matrix(p + "mlp.fc12.weight", ffn, hidden),
                Down: Matrix(p + "mlp.fc2.weight", hidden, ffn),
                OutputNorm: Norm(p + "norm2"));
        }
        return new NomicBertWeights(
            Table("embeddings.word_embeddings.weight", config.VocabSize),
            Table("embeddings.token_type_embeddings.weight", config.TypeVocabSize),
            Norm("emb_ln"),
            layers);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var layer in Layers) layer.Dispose();
        WordEmbedding.Dispose();
        TokenTypeEmbedding.Dispose();
        EmbeddingNorm.Dispose();
    }
}
