using System.Text.Json.Serialization;

namespace Transformer.Cli.Bench;

/// <summary>What one bench configuration measured; serialized as one object of <c>--json</c>'s array.</summary>
public sealed record BenchResult
{
    /// <summary>Synthetic model shape.</summary>
    [JsonPropertyName("preset")] public required string Preset { get; init; }
    /// <summary>The device and backend, e.g. <c>cpu avx512 (...), 2 thread(s)</c>.</summary>
    [JsonPropertyName("device")] public required string Device { get; init; }
    /// <summary>What ran it, as the backend describes itself (kernel path, threads, device name).</summary>
    [JsonPropertyName("backend")] public required string Backend { get; init; }
    /// <summary>Why this device ran (the --device resolution).</summary>
    [JsonPropertyName("device_reason")] public required string DeviceReason { get; init; }
    /// <summary>CPU kernel path name.</summary>
    [JsonPropertyName("isa")] public required string Isa { get; init; }
    /// <summary>Weight format: f32 or int8.</summary>
    [JsonPropertyName("quant")] public required string Quant { get; init; }
    /// <summary>Worker threads used.</summary>
    [JsonPropertyName("threads")] public required int Threads { get; init; }
    /// <summary>Prompt length of the prefill measurement.</summary>
    [JsonPropertyName("prompt_tokens")] public required int PromptTokens { get; init; }
    /// <summary>Tokens decoded in the decode measurement.</summary>
    [JsonPropertyName("gen_tokens")] public required int GenTokens { get; init; }
    /// <summary>Timed runs the best figures were taken from.</summary>
    [JsonPropertyName("repetitions")] public required int Repetitions { get; init; }
    /// <summary>Seconds to generate (synthetic) and prepare the weights.</summary>
    [JsonPropertyName("load_s")] public required double LoadSeconds { get; init; }
    /// <summary>Prompt tokens per second of one batched prefill.</summary>
    [JsonPropertyName("prefill_tok_s")] public required double PrefillTokensPerSecond { get; init; }
    /// <summary>Tokens per second of greedy one-token decode steps.</summary>
    [JsonPropertyName("decode_tok_s")] public required double DecodeTokensPerSecond { get; init; }
    /// <summary>Weight bytes one decode step reads: every layer matrix and the classifier (the embedding row is negligible).</summary>
    [JsonPropertyName("weight_bytes_per_token")] public required long WeightBytesPerToken { get; init; }
    /// <summary>Achieved weight traffic during decode: bytes per token × tokens per second, in GB/s (10⁹).</summary>
    [JsonPropertyName("decode_weight_gb_s")] public required double DecodeWeightGigabytesPerSecond { get; init; }
    /// <summary>Prefill time per op category, milliseconds for the whole prompt.</summary>
    [JsonPropertyName("prefill_ms")] public required IReadOnlyDictionary<string, double> PrefillMilliseconds { get; init; }
    /// <summary>Decode time per op category, milliseconds per decoded token.</summary>
    [JsonPropertyName("decode_ms_per_token")] public required IReadOnlyDictionary<string, double> DecodeMillisecondsPerToken { get; init; }
    /// <summary>Operations (multiply + add) of one prompt token's weight matmuls.</summary>
    [JsonPropertyName("prefill_ops_per_token")] public required long PrefillOperationsPerToken { get; init; }
    /// <summary>Which peak bounds prefill: <c>int8</c> (int8 and 4-bit weights run int8 dots) or <c>f32</c> (FMA).</summary>
    [JsonPropertyName("compute_kernel")] public required string ComputeKernel { get; init; }
    /// <summary>Read bandwidth measured in the same run at this row's thread count, GB/s (null on a GPU row).</summary>
    [JsonPropertyName("read_gb_s")] public double? ReadGigabytesPerSecond { get; init; }
    /// <summary>Decode rate if every token only read its weights at <see cref="ReadGigabytesPerSecond"/>: bandwidth ÷ weight bytes per token.</summary>
    [JsonPropertyName("decode_bandwidth_bound_tok_s")] public double? DecodeBandwidthBoundTokensPerSecond { get; init; }
    /// <summary>Decode as a percentage of <see cref="DecodeBandwidthBoundTokensPerSecond"/>.</summary>
    [JsonPropertyName("decode_pct_of_bandwidth_bound")] public double? DecodePercentOfBandwidthBound { get; init; }
    /// <summary>Peak of <see cref="ComputeKernel"/> on this row's ISA path and thread count, G operations per second.</summary>
    [JsonPropertyName("compute_peak_gops")] public double? ComputePeakGops { get; init; }
    /// <summary>Prefill rate at <see cref="ComputePeakGops"/>: peak ÷ <see cref="PrefillOperationsPerToken"/>.</summary>
    [JsonPropertyName("prefill_compute_bound_tok_s")] public double? PrefillComputeBoundTokensPerSecond { get; init; }
    /// <summary>Prefill as a percentage of <see cref="PrefillComputeBoundTokensPerSecond"/>.</summary>
    [JsonPropertyName("prefill_pct_of_compute_bound")] public double? PrefillPercentOfComputeBound { get; init; }
}
