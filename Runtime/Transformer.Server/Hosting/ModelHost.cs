using Transformer.Server.Api;
using Transformer.Server.Caching;
using Transformer.Server.Prompts;
using Transformer.Serving;
using Transformer.Text;

namespace Transformer.Server.Hosting;

/// <summary>
/// Loads the model in the background once the server listens, so /health can answer 503 while it loads,
/// and hands the loaded model to the endpoints (or a 503 before that). The model is a text generator
/// (<see cref="Current"/>) or, when <see cref="ServerOptions.ServesEmbeddings"/>, an encoder (<see cref="Encoder"/>);
/// each endpoint asks for the kind it needs and gets a 400 naming the other.
/// </summary>
internal sealed class ModelHost : IDisposable
{
    private readonly ServerOptions _options;
    private readonly TaskCompletionSource<ServedModel?> _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ServedEncoder? _encoder;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private Task? _loading;
    private bool _disposed;

    public ModelHost(ServerOptions options) => _options = options;

    /// <summary>Completes once the model is loaded (with the text generator, or null for an encoder); faults when loading failed.</summary>
    public Task Loaded => _loaded.Task;

    /// <summary>Whether a model (of either kind) serves.</summary>
    public bool IsReady => _loaded.Task.IsCompletedSuccessfully;

    /// <summary>The text generator, or null while it loads, after it failed, or when the model is an encoder.</summary>
    public ServedModel? Current => _loaded.Task.IsCompletedSuccessfully ? _loaded.Task.Result : null;

    /// <summary>The encoder, or null while it loads, after it failed, or when the model generates text.</summary>
    public ServedEncoder? Encoder => _loaded.Task.IsCompletedSuccessfully ? _encoder : null;

    /// <summary>Why loading failed, or null.</summary>
    public Exception? Failure => _loaded.Task.IsFaulted ? _loaded.Task.Exception!.InnerException : null;

    /// <summary>Starts loading on the thread pool (once).</summary>
    public void StartLoading()
    {
        lock (_gate) _loading ??= Task.Run(Load);
    }

    /// <summary>The text generator; a 400 when the model is an encoder; a 503 saying it is loading or why it failed.</summary>
    public ServedModel Require()
    {
        if (Encoder is { } encoder)
            throw new ApiException(Microsoft.AspNetCore.Http.StatusCodes.Status400BadRequest,
                $"the model '{encoder.Id}' is an embedding model (an encoder): it answers POST /v1/embeddings, not text generation",
                "invalid_request_error", "model_not_supported", "model");
        return Current ?? throw NotReady();
    }

    /// <summary>The encoder; a 400 when the model generates text; a 503 saying it is loading or why it failed.</summary>
    public ServedEncoder RequireEncoder()
    {
        if (Current is { } model)
            throw new ApiException(Microsoft.AspNetCore.Http.StatusCodes.Status400BadRequest,
                $"the model '{model.Id}' generates text and computes no embeddings; serve an embedding model (model_type bert) for /v1/embeddings",
                "invalid_request_error", "model_not_supported", "model");
        return Encoder ?? throw NotReady();
    }

    private ApiException NotReady() => ApiException.Unavailable(Failure is { } failure
        ? $"the model failed to load: {failure.Message}"
        : "the model is loading; retry shortly");

    private void Load()
    {
        if (_options.ServesEmbeddings)
        {
            LoadEncoder();
            return;
        }
        LanguageModel? language = null;
        ServedModel served;
        try
        {
            var token = _stopping.Token;
            language = _options.LoadModel is { } load ? load(token) : LanguageModel.Load(_options.ModelPath, _options.Model);
            token.ThrowIfCancellationRequested();
            var (chat, missing) = ChatPrompts.For(_options);
            // Hashing the weights costs a read of them, so only a server that caches responses pays it.
            string? identity = _options.ResponseCache is null ? null : ModelIdentity.Compute(language, _options.Serving);
            token.ThrowIfCancellationRequested();
            served = new ServedModel(language, new Scheduler(language.Model, _options.Serving), _options.ResolvedModelId, chat, missing, identity);
        }
        catch (Exception e)
        {
            language?.Dispose();
            _loaded.TrySetException(e);
            return;
        }

        lock (_gate)
        {
            if (!_disposed)
            {
                _loaded.SetResult(served);
                return;
            }
        }
        served.Dispose();
        _loaded.TrySetException(new OperationCanceledException("the server stopped while the model was loading"));
    }

    private void LoadEncoder()
    {
        ServedEncoder served;
        try
        {
            var o = _options.Model;
            var embedder = _options.LoadEmbeddingModel is { } load ? load(_stopping.Token) : EmbeddingModel.Load(_options.ModelPath, new EmbeddingModelOptions
            {
                TokenizerPath = o.TokenizerPath, Backend = o.Backend, Threads = o.Threads, Model = o.Model,
            });
            served = new ServedEncoder(embedder, _options.ResolvedModelId);
        }
        catch (Exception e)
        {
            _loaded.TrySetException(e);
            return;
        }
        lock (_gate)
        {
            if (!_disposed)
            {
                _encoder = served;
                _loaded.SetResult(null);
                return;
            }
        }
        served.Dispose();
        _loaded.TrySetException(new OperationCanceledException("the server stopped while the model was loading"));
    }

    /// <summary>Ends every open request (as cancelled) and releases the model; waits for a load in progress.</summary>
    public void Dispose()
    {
        Task? loading;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            loading = _loading;
        }
        _stopping.Cancel();
        try { loading?.Wait(); } catch (AggregateException) { /* the failure is in Loaded */ }
        Current?.Dispose();
        Encoder?.Dispose();
        _stopping.Dispose();
    }
}
