using Transformer.ResponseCache;
using Transformer.Serving;
using Transformer.Text;

namespace Transformer.Server;

/// <summary>What <see cref="InferenceServer"/> serves and how it listens.</summary>
public sealed record ServerOptions
{
    /// <summary>The model folder or file (as <see cref="LanguageModel.Load"/> takes it); also names the model unless <see cref="ModelId"/> is set.</summary>
    public required string ModelPath { get; init; }

    /// <summary>The id clients use in <c>model</c>; null takes the model folder's name, or the file's name without its extension.</summary>
    public string? ModelId { get; init; }

    /// <summary>Address to listen on (an IP address or a host name).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Port to listen on; 0 picks a free one (see <see cref="InferenceServer.BaseAddress"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>When set, every /v1, /tokenize and /detokenize request must send <c>Authorization: Bearer</c> with it.</summary>
    public string? ApiKey { get; init; }

    /// <summary>How the scheduler shares the model between requests.</summary>
    public ServingOptions Serving { get; init; } = new();

    /// <summary>How the model is loaded (threads, backend, weight format), when <see cref="LoadModel"/> is null.</summary>
    public LanguageModelOptions Model { get; init; } = new();

    /// <summary>A Jinja chat template file used instead of the model's own.</summary>
    public string? ChatTemplatePath { get; init; }

    /// <summary>Largest request body accepted; larger ones get 413. Default 8 MiB: far above any OpenAI-style body, below Kestrel's own 30,000,000 bytes.</summary>
    public long MaxRequestBodyBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>A stream that has sent nothing for this long gets an SSE comment (<c>: ping</c>), so proxies and clients keep it open through a long prefill or queue wait.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The exact response cache for deterministic requests (temperature 0 or a seed): in memory, and shared through
    /// Redis when <see cref="ResponseCacheOptions.Redis"/> is set. Null turns it off.
    /// </summary>
    public ResponseCacheOptions? ResponseCache { get; init; }

    /// <summary>Loads the model; null calls <see cref="LanguageModel.Load"/> on <see cref="ModelPath"/> with <see cref="Model"/>. Runs after the server is listening.</summary>
    public Func<CancellationToken, LanguageModel>? LoadModel { get; init; }

    /// <summary>
    /// Loads an embedding model instead of a text generator: the server then answers <c>/v1/embeddings</c> (and
    /// <c>/v1/models</c>, <c>/health</c>), and the generation endpoints answer 400. Null loads an encoder from
    /// <see cref="ModelPath"/> when its config.json names one (model_type bert or nomic_bert), with <see cref="Model"/>'s threads,
    /// backend, tokenizer and weight format.
    /// </summary>
    public Func<CancellationToken, EmbeddingModel>? LoadEmbeddingModel { get; init; }

    /// <summary>Whether the served model is an encoder: <see cref="LoadEmbeddingModel"/> is set, or <see cref="ModelPath"/> holds one.</summary>
    public bool ServesEmbeddings => LoadEmbeddingModel is not null
        || (LoadModel is null && Loader.Config.EncoderConfigReader.IsEncoderFolder(Directory.Exists(ModelPath) ? ModelPath : Path.GetDirectoryName(Path.GetFullPath(ModelPath))!));

    /// <summary>Throws on values outside their ranges, naming the setting.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ModelPath);
        if (ModelId is { Length: 0 }) throw new ArgumentException("the model id must not be empty", nameof(ModelId));
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), Port, "the port must be in [0, 65535]");
        if (ApiKey is { Length: 0 }) throw new ArgumentException("the API key must not be empty", nameof(ApiKey));
        if (MaxRequestBodyBytes < 1024) throw new ArgumentOutOfRangeException(nameof(MaxRequestBodyBytes), MaxRequestBodyBytes, "the body limit must be at least 1 KiB");
        if (PingInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(PingInterval), PingInterval, "the ping interval must be positive");
        Serving.Validate();
        ResponseCache?.Validate();
    }

    /// <summary>The id the model is served under.</summary>
    public string ResolvedModelId => ModelId ?? DefaultModelId(ModelPath);

    /// <summary>A folder's name, or a file's name without its extension (<c>models/stories260K.bin</c> → <c>stories260K</c>).</summary>
    public static string DefaultModelId(string modelPath)
    {
        string trimmed = Path.TrimEndingDirectorySeparator(modelPath);
        return Directory.Exists(trimmed) ? Path.GetFileName(Path.GetFullPath(trimmed)) : Path.GetFileNameWithoutExtension(trimmed);
    }
}
