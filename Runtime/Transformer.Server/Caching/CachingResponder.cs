using Microsoft.AspNetCore.Http;
using Transformer.ResponseCache;
using Transformer.Server.Endpoints;
using Transformer.Server.Generation;
using Transformer.Server.Hosting;

namespace Transformer.Server.Caching;

/// <summary>
/// Answers a completion request from the response cache when it holds it, else runs it in the scheduler and
/// stores the finished response. Only deterministic requests are looked up or stored (see
/// <see cref="ResponseCacheKey"/>); <c>Cache-Control: no-cache</c> skips the lookup and <c>no-store</c> the
/// store. With the cache on, every completion says <c>X-Transformer-Cache: hit</c> or <c>miss</c>.
/// </summary>
internal static class CachingResponder
{
    public const string Header = "X-Transformer-Cache";

    public static async Task RespondAsync<TChunk, TWhole>(HttpContext context, ServerContext server, ServedModel model,
        IReadOnlyList<ChoiceRequest> choices, GenerationSettings settings, IResponseShape<TChunk, TWhole> shape)
    {
        var aborted = context.RequestAborted;
        var cache = server.Cache;
        string? key = cache is null || model.CacheIdentity is not { } identity ? null : ResponseCacheKey.For(identity, choices, settings);
        bool store = false;
        if (cache is not null)
        {
            var directives = context.Request.GetTypedHeaders().CacheControl;
            store = key is not null && directives?.NoStore != true;
            if (key is not null && directives?.NoCache != true)
            {
                var (bytes, tier) = await cache.GetAsync(key, aborted).ConfigureAwait(false);
                // An entry that does not read back (another version wrote it) or does not fit the request is a miss.
                if (bytes is not null && CachedResponse.Deserialize(bytes) is { } hit && Fits(hit, choices.Count))
                {
                    server.Metrics.CountCacheLookup(tier == CacheTier.Shared ? "hit_redis" : "hit_memory");
                    context.Response.Headers[Header] = "hit";
                    await CompletionResponder.RespondAsync(context, new CachedReplay(hit), settings, shape, choices.Count, server.Options.PingInterval).ConfigureAwait(false);
                    return;
                }
                server.Metrics.CountCacheLookup("miss");
            }
            else
            {
                server.Metrics.CountCacheLookup("skipped");
            }
            context.Response.Headers[Header] = "miss";
        }

        await using var run = CompletionRun.Start(model, server.Metrics, choices, aborted, record: store);
        await CompletionResponder.RespondAsync(context, run, settings, shape, choices.Count, server.Options.PingInterval).ConfigureAwait(false);
        // Only a response every choice of which finished is stored: a cancelled or failed one is not the answer.
        if (store && run.Complete && run.Recorded is { } events)
        {
            var entry = CachedResponse.From(run.PromptTokens, run.CompletionTokens, events);
            await cache!.SetAsync(key!, entry.Serialize(), CancellationToken.None).ConfigureAwait(false);
            server.Metrics.CountCacheStore();
        }
    }

    private static bool Fits(CachedResponse response, int choices) =>
        response.Events.All(e => e.Index >= 0 && e.Index < choices) && response.Events.Count(e => e.FinishReason is not null) == choices;
}
