using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Transformer.Serving;

namespace Transformer.Extensions.AI;

/// <summary>
/// One reply being generated in the scheduler: its text as it arrives, then why it ended and its usage. A stop
/// string, the caller's token, or abandoning the enumeration cancels the sequence in the scheduler at once,
/// so its KV blocks are freed within a step.
/// </summary>
internal sealed class ChatReply
{
    private readonly GenerationStream _stream;
    private readonly ReplyText _text;
    private readonly CancellationTokenSource _cancel;
    private readonly CancellationToken _caller;
    private int _generated;

    private ChatReply(GenerationStream stream, ReplyText text, CancellationTokenSource cancel, CancellationToken caller)
    {
        _stream = stream;
        _text = text;
        _cancel = cancel;
        _caller = caller;
    }

    public string Id { get; } = "chatcmpl-" + Guid.NewGuid().ToString("N");
    public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Set once <see cref="ReadAsync"/> has run to its end.</summary>
    public ChatFinishReason? FinishReason { get; private set; }

    public static ChatReply Submit(Scheduler scheduler, GenerationRequest request, ReplyText text, CancellationToken cancellation)
    {
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        try
        {
            return new ChatReply(scheduler.Submit(request, cancel.Token), text, cancel, cancellation);
        }
        catch
        {
            cancel.Dispose();
            throw;
        }
    }

    /// <summary>The reply's text in whole characters, stop strings cut off.</summary>
    public async IAsyncEnumerable<string> ReadAsync([EnumeratorCancellation] CancellationToken enumeration = default)
    {
        try
        {
            await foreach (var token in _stream.Tokens.ReadAllAsync(enumeration).ConfigureAwait(false))
            {
                _generated++;
                string ready = _text.Push(token.Token, out bool stopped);
                if (ready.Length > 0) yield return ready;
                if (stopped)
                {
                    FinishReason = ChatFinishReason.Stop;
                    yield break;
                }
            }
            var reason = await _stream.Completion.ConfigureAwait(false);
            if (reason == Serving.FinishReason.Cancelled)
            {
                _caller.ThrowIfCancellationRequested();
                enumeration.ThrowIfCancellationRequested();
                throw new ObjectDisposedException(nameof(TransformerChatClient), "the chat client was disposed while the reply was being generated");
            }
            string rest = _text.Finish(out bool stoppedAtEnd);
            if (rest.Length > 0) yield return rest;
            // A full context ends the reply as "length", as OpenAI reports it: the model could not write more.
            FinishReason = stoppedAtEnd || reason == Serving.FinishReason.Stop ? ChatFinishReason.Stop : ChatFinishReason.Length;
        }
        finally
        {
            // Ends the sequence now (a stop string, or a caller that stopped reading), rather than after its max tokens.
            _cancel.Cancel();
            _cancel.Dispose();
        }
    }

    /// <summary>Prompt tokens (and those served from the prefix cache) and the tokens generated up to the end of the text.</summary>
    public UsageDetails Usage() => new()
    {
        InputTokenCount = _stream.PromptTokens,
        CachedInputTokenCount = _stream.CachedPromptTokens,
        OutputTokenCount = _generated,
        TotalTokenCount = _stream.PromptTokens + _generated,
    };
}
