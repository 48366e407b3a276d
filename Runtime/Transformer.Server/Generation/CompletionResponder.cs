using System.Text;
using Microsoft.AspNetCore.Http;
using Transformer.Server.Api;

namespace Transformer.Server.Generation;

/// <summary>Writes a run out as server-sent events, or gathers it into one JSON response.</summary>
internal static class CompletionResponder
{
    public static Task RespondAsync<TChunk, TWhole>(HttpContext context, IChoiceEvents run, GenerationSettings settings,
        IResponseShape<TChunk, TWhole> shape, int choices, TimeSpan pingInterval) =>
        settings.Stream
            ? StreamAsync(context, run, settings, shape, choices, pingInterval)
            : GatherAsync(context, run, shape, choices);

    private static async Task StreamAsync<TChunk, TWhole>(HttpContext context, IChoiceEvents run, GenerationSettings settings,
        IResponseShape<TChunk, TWhole> shape, int choices, TimeSpan pingInterval)
    {
        var aborted = context.RequestAborted;
        var sse = new SseStream(context.Response);
        await sse.StartAsync(aborted).ConfigureAwait(false);
        foreach (var chunk in shape.Opening(choices)) await sse.DataAsync(chunk, shape.ChunkType, aborted).ConfigureAwait(false);

        bool failed = false;
        await EventLoop.RunAsync(run.Events, pingInterval, () => sse.PingAsync(aborted), async e =>
        {
            if (failed || e.Cancelled) return;
            if (e.Error is { } error)
            {
                // Headers are gone: the error travels as an event, and the stream ends without [DONE].
                failed = true;
                await sse.DataAsync(ApiErrors.Body(ApiErrors.Internal(error)), ServerJsonContext.Api.ErrorResponse, aborted).ConfigureAwait(false);
                return;
            }
            if (e.Text.Length > 0 || e.Tokens.Count > 0)
                await sse.DataAsync(shape.Delta(e.Index, e.Text, e.Tokens), shape.ChunkType, aborted).ConfigureAwait(false);
            if (e.FinishReason is { } reason) await sse.DataAsync(shape.Finish(e.Index, reason), shape.ChunkType, aborted).ConfigureAwait(false);
        }).ConfigureAwait(false);

        if (failed || aborted.IsCancellationRequested) return;
        if (settings.IncludeUsage) await sse.DataAsync(shape.UsageChunk(run.Usage()), shape.ChunkType, aborted).ConfigureAwait(false);
        await sse.DoneAsync(aborted).ConfigureAwait(false);
    }

    private static async Task GatherAsync<TChunk, TWhole>(HttpContext context, IChoiceEvents run, IResponseShape<TChunk, TWhole> shape, int choices)
    {
        var texts = Enumerable.Range(0, choices).Select(_ => new StringBuilder()).ToArray();
        var tokens = Enumerable.Range(0, choices).Select(_ => new List<TextToken>()).ToArray();
        var finish = new string?[choices];
        Exception? failure = null;
        bool cancelled = false;
        await EventLoop.RunAsync(run.Events, pingInterval: null, () => Task.CompletedTask, e =>
        {
            texts[e.Index].Append(e.Text);
            tokens[e.Index].AddRange(e.Tokens);
            finish[e.Index] = e.FinishReason;
            failure ??= e.Error;
            cancelled |= e.Cancelled;
            return Task.CompletedTask;
        }).ConfigureAwait(false);

        if (failure is not null) throw ApiErrors.Internal(failure);
        // Cancelled: the client left (nobody to answer) or the server is stopping.
        if (cancelled)
        {
            if (!context.RequestAborted.IsCancellationRequested)
                throw ApiException.Unavailable("the server is shutting down; the request was not completed");
            return;
        }
        var results = Enumerable.Range(0, choices).Select(i => new ChoiceResult(i, texts[i].ToString(), tokens[i], finish[i]!)).ToList();
        await context.Response.WriteAsJsonAsync(shape.Whole(results, run.Usage()), shape.WholeType, contentType: "application/json", context.RequestAborted).ConfigureAwait(false);
    }
}
