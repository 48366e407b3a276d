using System.Threading.Channels;

namespace Transformer.Serving;

/// <summary>
/// The tokens of one submitted request as they are generated, and how it ended. Tokens are written by
/// the scheduler's thread and read by the caller; the channel is unbounded because each holds at most
/// the request's max tokens, and a slow reader must never stall the step every other request shares.
/// </summary>
public sealed class GenerationStream
{
    private readonly Channel<GeneratedToken> _tokens = Channel.CreateUnbounded<GeneratedToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource<FinishReason> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _admitted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal GenerationStream(int promptTokens) => PromptTokens = promptTokens;

    /// <summary>Tokens in the prompt.</summary>
    public int PromptTokens { get; }

    /// <summary>Prompt tokens whose KV came from the prefix cache when the request first started (0 before it starts).</summary>
    public int CachedPromptTokens { get; private set; }

    /// <summary>The generated tokens, in order; completes when generation ends.</summary>
    public ChannelReader<GeneratedToken> Tokens => _tokens.Reader;

    /// <summary>Completes with the reason generation ended, or faults when a step failed.</summary>
    public Task<FinishReason> Completion => _completion.Task;

    /// <summary>Completes when the request leaves the queue and starts, with its cached prompt tokens.</summary>
    public Task<int> Started => _admitted.Task;

    internal void Start(int cachedTokens)
    {
        CachedPromptTokens = cachedTokens;
        _admitted.TrySetResult(cachedTokens);
    }

    internal void Write(GeneratedToken token) => _tokens.Writer.TryWrite(token);

    internal void Finish(FinishReason reason)
    {
        _admitted.TrySetResult(CachedPromptTokens);
        _tokens.Writer.TryComplete();
        _completion.TrySetResult(reason);
    }

    internal void Fail(Exception error)
    {
        _admitted.TrySetException(error);
        _tokens.Writer.TryComplete(error);
        _completion.TrySetException(error);
    }
}
