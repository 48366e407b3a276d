using Transformer.Server.Api;
using Transformer.Server.Caching;
using Transformer.Server.Prompts;
using Transformer.Serving;
using Transformer.Text;

namespace Transformer.Server.Hosting;

/// <summary>
/// Loads the model in the background once the server listens, so /health can answer 503 while it loads,
/// and hands the loaded model to the endpoints (or a 503 before that).
/// </summary>
internal sealed class ModelHost : IDisposable
{
    private readonly ServerOptions _options;
    private readonly TaskCompletionSource<ServedModel> _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private Task? _loading;
    private bool _disposed;

    public ModelHost(ServerOptions options) => _options = options;

    /// <summary>Completes with the model once it is loaded; faults when loading failed.</summary>
    public Task<ServedModel> Loaded => _loaded.Task;

    /// <summary>The model, or null while it loads or after it failed.</summary>
    public ServedModel? Current => _loaded.Task.IsCompletedSuccessfully ? _loaded.Task.Result : null;

    /// <summary>Why loading failed, or null.</summary>
    public Exception? Failure => _loaded.Task.IsFaulted ? _loaded.Task.Exception!.InnerException : null;

    /// <summary>Starts loading on the thread pool (once).</summary>
    public void StartLoading()
    {
        lock (_gate) _loading ??= Task.Run(Load);
    }

    /// <summary>The model, or a 503 saying it is loading or why it failed.</summary>
    public ServedModel Require() => Current ?? throw ApiException.Unavailable(Failure is { } failure
        ? $"the model failed to load: {failure.Message}"
        : "the model is loading; retry shortly");

    private void Load()
    {
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
        _stopping.Dispose();
    }
}
