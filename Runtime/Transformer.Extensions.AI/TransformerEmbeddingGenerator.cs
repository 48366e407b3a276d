using Microsoft.Extensions.AI;
using Transformer.Text;

namespace Transformer.Extensions.AI;

/// <summary>
/// An <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over an embedding model in this process (a BERT /
/// sentence-transformers encoder): each string is tokenized, encoded and pooled as the model's files say. The model
/// serializes its forward passes, so the generator may be called from many threads.
/// </summary>
/// <example>
/// <code>
/// using var model = EmbeddingModel.Load("models/all-MiniLM-L6-v2");
/// using IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt; generator = new TransformerEmbeddingGenerator(model);
/// var vectors = await generator.GenerateAsync(["first text", "second text"]);
/// </code>
/// </example>
public sealed class TransformerEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly EmbeddingModel _model;
    private readonly bool _ownsModel;
    private readonly EmbeddingGeneratorMetadata _metadata;

    /// <summary>Embeds with <paramref name="model"/>, which must outlive the generator; <paramref name="modelId"/> defaults to the model folder's name.</summary>
    public TransformerEmbeddingGenerator(EmbeddingModel model, string? modelId = null) : this(model, ownsModel: false, modelId) { }

    private TransformerEmbeddingGenerator(EmbeddingModel model, bool ownsModel, string? modelId)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _ownsModel = ownsModel;
        ModelId = modelId ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(model.ModelPath));
        _metadata = new EmbeddingGeneratorMetadata("transformer", providerUri: null, ModelId, model.Dimensions);
    }

    /// <summary>Loads the encoder at <paramref name="modelPath"/>; the generator owns it and releases it when disposed.</summary>
    public static TransformerEmbeddingGenerator Load(string modelPath, EmbeddingModelOptions? options = null, string? modelId = null) =>
        new(EmbeddingModel.Load(modelPath, options), ownsModel: true, modelId);

    /// <summary>The id reported in <see cref="Embedding.ModelId"/> and the metadata.</summary>
    public string ModelId { get; }

    /// <summary>
    /// The vectors of <paramref name="values"/>, in order, with <see cref="UsageDetails.InputTokenCount"/> the tokens embedded.
    /// <see cref="EmbeddingGenerationOptions.Dimensions"/>, when set, must be the model's own (BERT vectors cannot be shortened).
    /// </summary>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (options?.Dimensions is { } dimensions && dimensions != _model.Dimensions)
            throw new ArgumentException($"this model's vectors have {_model.Dimensions} dimensions; {dimensions} were asked for", nameof(options));
        var sequences = values.Select(_model.Encode).ToArray();
        float[][] vectors = await Task.Run(() => _model.EmbedTokens(sequences), cancellationToken).ConfigureAwait(false);
        var created = DateTimeOffset.UtcNow;
        var result = new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v) { ModelId = ModelId, CreatedAt = created }))
        {
            Usage = new UsageDetails { InputTokenCount = sequences.Sum(s => s.Count), TotalTokenCount = sequences.Sum(s => s.Count) },
        };
        return result;
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return _metadata;
        if (serviceType == typeof(EmbeddingModel)) return _model;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Releases the model when the generator loaded it.</summary>
    public void Dispose()
    {
        if (_ownsModel) _model.Dispose();
    }
}
