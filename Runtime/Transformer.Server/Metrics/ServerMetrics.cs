using Prometheus;
using Transformer.ResponseCache;
using Transformer.Serving;

namespace Transformer.Server.Metrics;

/// <summary>
/// The server's Prometheus metrics (prometheus-net, in a registry of its own so several servers in one
/// process do not share counters). Scheduler gauges are read from its latest snapshot when scraped;
/// latencies and request counts are recorded by the HTTP layer as they happen.
/// </summary>
internal sealed class ServerMetrics
{
    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly Histogram _timeToFirstToken;
    private readonly Histogram _interTokenLatency;
    private readonly Counter _requests;
    private readonly Counter _cacheLookups;
    private readonly Counter _cacheStores;

    public ServerMetrics(Func<SchedulerSnapshot?> snapshot, ResponseCacheStore? cache = null)
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(_registry);
        var loaded = factory.CreateGauge("transformer_model_loaded", "1 once the model is loaded and serving, else 0");
        var waiting = factory.CreateGauge("transformer_queue_length", "Requests waiting for a place (not yet started, or preempted)");
        var running = factory.CreateGauge("transformer_running_sequences", "Sequences being prefilled or decoded");
        var used = factory.CreateGauge("transformer_kv_blocks_used", "KV blocks referenced by sequences");
        var free = factory.CreateGauge("transformer_kv_blocks_free", "KV blocks that can be allocated (free, or cached and unreferenced)");
        var cached = factory.CreateGauge("transformer_kv_blocks_cached", "KV blocks holding a shareable prompt prefix");
        var total = factory.CreateGauge("transformer_kv_blocks_total", "KV blocks in the pool");
        var hitRatio = factory.CreateGauge("transformer_prefix_cache_hit_ratio", "Share of looked-up prompt tokens served from the prefix cache since start");
        var lookups = factory.CreateCounter("transformer_prefix_cache_lookup_tokens_total", "Prompt tokens looked up in the prefix cache");
        var hits = factory.CreateCounter("transformer_prefix_cache_hit_tokens_total", "Prompt tokens whose KV came from the prefix cache");
        var generated = factory.CreateCounter("transformer_generated_tokens_total", "Tokens generated since start");
        var steps = factory.CreateCounter("transformer_steps_total", "Model steps run since start");
        var preemptions = factory.CreateCounter("transformer_preemptions_total", "Times a sequence gave its KV blocks back to make room and was recomputed");
        // From 1 ms to about 33 s (1 ms · 2^15): a tiny model's token on a fast CPU up to a long prefill in a long queue.
        _timeToFirstToken = factory.CreateHistogram("transformer_time_to_first_token_seconds", "From a request's arrival to each choice's first token",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
        // From 0.1 ms to about 3.3 s.
        _interTokenLatency = factory.CreateHistogram("transformer_inter_token_latency_seconds", "Between consecutive tokens of a choice",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });
        _requests = factory.CreateCounter("transformer_requests_total", "HTTP requests answered, by endpoint and status code", ["endpoint", "status"]);

        _cacheLookups = factory.CreateCounter("transformer_response_cache_requests_total",
            "Completion requests by what the response cache did: hit_memory, hit_redis, miss (looked up, computed), skipped (not deterministic, or Cache-Control: no-cache)", ["result"]);
        _cacheStores = factory.CreateCounter("transformer_response_cache_stores_total", "Finished responses stored in the response cache");
        if (cache?.Redis is { } redis)
        {
            var redisUp = factory.CreateGauge("transformer_response_cache_redis_up", "1 while the response cache's Redis tier answers, 0 from a failure until it answers again");
            var redisErrors = factory.CreateCounter("transformer_response_cache_redis_errors_total", "Calls to the response cache's Redis tier that failed or timed out");
            _registry.AddBeforeCollectCallback(() =>
            {
                redisUp.Set(redis.Up ? 1 : 0);
                redisErrors.IncTo(redis.Errors);
            });
        }

        _registry.AddBeforeCollectCallback(() =>
        {
            var s = snapshot();
            loaded.Set(s is null ? 0 : 1);
            if (s is null) return;
            waiting.Set(s.Waiting);
            running.Set(s.Running);
            used.Set(s.KvBlocksUsed);
            free.Set(s.KvBlocksFree);
            cached.Set(s.KvBlocksCached);
            total.Set(s.KvBlocksTotal);
            hitRatio.Set(s.PrefixHitRatio);
            lookups.IncTo(s.PrefixLookupTokens);
            hits.IncTo(s.PrefixHitTokens);
            generated.IncTo(s.GeneratedTokens);
            steps.IncTo(s.Steps);
            preemptions.IncTo(s.Preemptions);
        });
    }

    public void ObserveTimeToFirstToken(TimeSpan elapsed) => _timeToFirstToken.Observe(elapsed.TotalSeconds);

    public void ObserveInterTokenLatency(TimeSpan elapsed) => _interTokenLatency.Observe(elapsed.TotalSeconds);

    public void CountCacheLookup(string result) => _cacheLookups.WithLabels(result).Inc();

    public void CountCacheStore() => _cacheStores.Inc();

    public void CountRequest(string endpoint, int status) =>
        _requests.WithLabels(endpoint, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();

    /// <summary>Writes every metric in the Prometheus text format (version 0.0.4).</summary>
    public Task WriteAsync(Stream destination, CancellationToken cancellation) =>
        _registry.CollectAndExportAsTextAsync(destination, cancellation);

    /// <summary>The text format's content type.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";
}
