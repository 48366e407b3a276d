using System.Text.Json.Serialization;

namespace Transformer.Cli.Bench;

/// <summary>What one pass of the fleet workload measured; one object of <c>bench --fleet --json</c>'s array.</summary>
public sealed record FleetResult
{
    /// <summary>Synthetic model shape.</summary>
    [JsonPropertyName("preset")] public required string Preset { get; init; }
    /// <summary>Weight format.</summary>
    [JsonPropertyName("quant")] public required string Quant { get; init; }
    /// <summary>Servers behind the gateway.</summary>
    [JsonPropertyName("replicas")] public required int Replicas { get; init; }
    /// <summary>The gateway's routing: affinity or least-requests.</summary>
    [JsonPropertyName("routing")] public required string Routing { get; init; }
    /// <summary>cold: the workload's first pass; warm: the same requests again, answerable from the response cache.</summary>
    [JsonPropertyName("cache")] public required string Cache { get; init; }
    /// <summary>Requests of the pass.</summary>
    [JsonPropertyName("requests")] public required int Requests { get; init; }
    /// <summary>Requests in flight at once.</summary>
    [JsonPropertyName("clients")] public required int Clients { get; init; }
    /// <summary>Requests answered per second over the pass.</summary>
    [JsonPropertyName("requests_per_s")] public required double RequestsPerSecond { get; init; }
    /// <summary>Request latency (send to whole response), median, milliseconds.</summary>
    [JsonPropertyName("latency_p50_ms")] public required double LatencyP50 { get; init; }
    /// <summary>Request latency, 99th percentile, milliseconds.</summary>
    [JsonPropertyName("latency_p99_ms")] public required double LatencyP99 { get; init; }
    /// <summary>Responses answered from the response cache (header X-Transformer-Cache: hit).</summary>
    [JsonPropertyName("response_cache_hits")] public required int ResponseCacheHits { get; init; }
    /// <summary>Share of the prompt tokens the engines looked up that their prefix caches held (the replicas' /metrics).</summary>
    [JsonPropertyName("prefix_cache_hit_ratio")] public required double PrefixCacheHitRatio { get; init; }
    /// <summary>Prompt tokens of all responses (usage.prompt_tokens).</summary>
    [JsonPropertyName("prompt_tokens")] public required int PromptTokens { get; init; }
    /// <summary>Prompt tokens the responses report as cached (usage.prompt_tokens_details.cached_tokens).</summary>
    [JsonPropertyName("cached_prompt_tokens")] public required int CachedPromptTokens { get; init; }
}
