using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Transformer.Server.Api;
using Transformer.Server.Hosting;
using Transformer.Server.Metrics;
using Transformer.Serving;

namespace Transformer.Server.Generation;

/// <summary>One choice to generate: the prompt it continues (by index), its request and its stop strings.</summary>
internal sealed record ChoiceRequest(int PromptIndex, GenerationRequest Request, IReadOnlyList<string> StopStrings);

/// <summary>
/// The choices of one HTTP request running in the scheduler. Each choice is read by a task of its own that
/// turns tokens into <see cref="ChoiceEvent"/>s on one channel, which the endpoint writes out (streaming) or
/// gathers (not). Every choice is cancelled when the client goes away, and a choice that reaches a stop
/// string is cancelled in the scheduler at once, so its blocks are freed within a step.
/// </summary>
internal sealed class CompletionRun : IChoiceEvents, IAsyncDisposable
{
    private readonly ServedModel _model;
    private readonly ServerMetrics _metrics;
    private readonly IReadOnlyList<ChoiceRequest> _choices;
    private readonly CancellationTokenSource[] _cancel;
    private readonly GenerationStream[] _streams;
    private readonly int[] _generated;
    private readonly Channel<ChoiceEvent> _events = Channel.CreateUnbounded<ChoiceEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    private readonly List<ChoiceEvent>? _recorded;
    private int _finished;
    private volatile bool _incomplete;
    private Task _pumps = Task.CompletedTask;

    private CompletionRun(ServedModel model, ServerMetrics metrics, IReadOnlyList<ChoiceRequest> choices, bool record)
    {
        _model = model;
        _metrics = metrics;
        _choices = choices;
        _recorded = record ? [] : null;
        _cancel = new CancellationTokenSource[choices.Count];
        _streams = new GenerationStream[choices.Count];
        _generated = new int[choices.Count];
    }

    /// <summary>Events of every choice, in the order they happened; completes when every choice has ended.</summary>
    public ChannelReader<ChoiceEvent> Events => _events.Reader;

    /// <summary>
    /// Submits every choice, or none: when the queue is full part way, the ones already submitted are
    /// cancelled and the request gets 429 with Retry-After. With <paramref name="record"/>, every event is
    /// also kept (see <see cref="Recorded"/>), for the response cache.
    /// </summary>
    public static CompletionRun Start(ServedModel model, ServerMetrics metrics, IReadOnlyList<ChoiceRequest> choices, CancellationToken aborted, bool record = false)
    {
        int capacity = model.Scheduler.Options.MaxSequences + model.Scheduler.Options.QueueLimit;
        if (choices.Count > capacity)
        {
            throw ApiException.InvalidField("n", $"the request asks for {choices.Count} sequences, more than this server holds at once ({capacity}: --max-sequences plus --queue)");
        }
        var run = new CompletionRun(model, metrics, choices, record);
        for (int i = 0; i < choices.Count; i++)
        {
            run._cancel[i] = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            try
            {
                run._streams[i] = model.Scheduler.Submit(choices[i].Request, run._cancel[i].Token);
            }
            catch (QueueFullException e)
            {
                run.CancelSubmitted(i + 1);
                throw new ApiException(StatusCodes.Status429TooManyRequests, e.Message, "server_busy", "queue_full") { RetryAfterSeconds = 1 };
            }
            catch
            {
                run.CancelSubmitted(i + 1);
                throw;
            }
        }
        run._pumps = Task.WhenAll(Enumerable.Range(0, choices.Count).Select(i => Task.Run(() => run.PumpAsync(i))))
            .ContinueWith(_ => run._events.Writer.TryComplete(), TaskScheduler.Default);
        return run;
    }

    /// <summary>Prompt tokens, counting each prompt once however many choices continue it.</summary>
    public int PromptTokens => _choices.Select((c, i) => (c, i)).GroupBy(x => x.c.PromptIndex).Sum(g => g.First().c.Request.Prompt.Count);

    /// <summary>Prompt tokens whose KV came from the prefix cache, for each prompt's first choice.</summary>
    public int CachedTokens => _choices.Select((c, i) => (c, i)).GroupBy(x => x.c.PromptIndex).Sum(g => _streams[g.First().i].CachedPromptTokens);

    /// <summary>Tokens generated so far over all choices (a choice cut by a stop string counts the tokens up to the stop).</summary>
    public int CompletionTokens => _generated.Sum();

    /// <summary>True once every choice has finished (stop or length): nothing was cancelled or failed.</summary>
    public bool Complete => !_incomplete && Volatile.Read(ref _finished) == _choices.Count;

    /// <summary>Every event so far, each choice's in its order; null unless the run was started to record.</summary>
    public IReadOnlyList<ChoiceEvent>? Recorded
    {
        get
        {
            if (_recorded is null) return null;
            lock (_recorded) return [.. _recorded];
        }
    }

    /// <summary>Usage for the response body.</summary>
    public Usage Usage()
    {
        int prompt = PromptTokens, completion = CompletionTokens;
        return new Usage(prompt, completion, prompt + completion, new PromptTokensDetails(CachedTokens));
    }

    private async Task PumpAsync(int index)
    {
        var choice = _choices[index];
        var stream = _streams[index];
        var text = new ChoiceText(_model.Tokenizer, choice.Request.Prompt[^1], choice.StopStrings);
        long last = _startedAt;
        try
        {
            await foreach (var token in stream.Tokens.ReadAllAsync().ConfigureAwait(false))
            {
                long now = Stopwatch.GetTimestamp();
                if (_generated[index] == 0) _metrics.ObserveTimeToFirstToken(Stopwatch.GetElapsedTime(_startedAt, now));
                else _metrics.ObserveInterTokenLatency(Stopwatch.GetElapsedTime(last, now));
                last = now;
                _generated[index]++;
                var delta = text.Push(token);
                if (delta.Stopped)
                {
                    // Free the sequence now rather than after max_tokens.
                    _cancel[index].Cancel();
                    Emit(new ChoiceEvent(index, delta.Text, delta.Tokens) { FinishReason = "stop" });
                    return;
                }
                if (delta.Text.Length > 0 || delta.Tokens.Count > 0) Emit(new ChoiceEvent(index, delta.Text, delta.Tokens));
            }

            var reason = await stream.Completion.ConfigureAwait(false);
            if (reason == FinishReason.Cancelled)
            {
                Emit(new ChoiceEvent(index, "", []) { Cancelled = true });
                return;
            }
            var rest = text.Finish();
            // A full context ends the choice as OpenAI's "length": the model could not write more.
            string finish = rest.Stopped || reason == FinishReason.Stop ? "stop" : "length";
            Emit(new ChoiceEvent(index, rest.Text, rest.Tokens) { FinishReason = finish });
        }
        catch (Exception e)
        {
            Emit(new ChoiceEvent(index, "", []) { Error = e });
        }
    }

    private void Emit(ChoiceEvent e)
    {
        if (e.FinishReason is not null) Interlocked.Increment(ref _finished);
        if (e.Cancelled || e.Error is not null) _incomplete = true;
        if (_recorded is not null) lock (_recorded) _recorded.Add(e);
        _events.Writer.TryWrite(e);
    }

    private void CancelSubmitted(int count)
    {
        for (int i = 0; i < count; i++) _cancel[i]?.Cancel();
        for (int i = 0; i < count; i++) _cancel[i]?.Dispose();
    }

    /// <summary>Cancels every choice still running and waits for their readers to end.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var c in _cancel) c.Cancel();
        await _pumps.ConfigureAwait(false);
        foreach (var c in _cancel) c.Dispose();
    }
}
