using System.Text.Json.Serialization;

namespace Transformer.Cli.Eval;

/// <summary><c>eval ppl --json</c>.</summary>
public sealed record PerplexityJson
{
    [JsonPropertyName("ppl")] public required double Ppl { get; init; }
    [JsonPropertyName("ppl_error")] public required double PplError { get; init; }
    [JsonPropertyName("mean_nll")] public required double MeanNll { get; init; }
    [JsonPropertyName("tokens_scored")] public required int TokensScored { get; init; }
    [JsonPropertyName("chunks")] public required int Chunks { get; init; }
    [JsonPropertyName("ctx")] public required int Context { get; init; }
    [JsonPropertyName("stride")] public required int Stride { get; init; }
    [JsonPropertyName("text_tokens")] public required int TextTokens { get; init; }
    [JsonPropertyName("tokens_per_second")] public required double TokensPerSecond { get; init; }
}

/// <summary>One quantile of a distribution in <c>eval kld --json</c>.</summary>
public sealed record QuantileJson([property: JsonPropertyName("fraction")] double Fraction, [property: JsonPropertyName("value")] double Value);

/// <summary><c>eval kld --json</c>.</summary>
public sealed record KlDivergenceJson
{
    [JsonPropertyName("ppl")] public required double Ppl { get; init; }
    [JsonPropertyName("ppl_error")] public required double PplError { get; init; }
    [JsonPropertyName("ppl_base")] public required double PplBase { get; init; }
    [JsonPropertyName("ppl_base_error")] public required double PplBaseError { get; init; }
    [JsonPropertyName("ln_ppl_correlation")] public required double LnPplCorrelation { get; init; }
    [JsonPropertyName("mean_ln_ppl_ratio")] public required double MeanLnPplRatio { get; init; }
    [JsonPropertyName("ppl_ratio")] public required double PplRatio { get; init; }
    [JsonPropertyName("ppl_difference")] public required double PplDifference { get; init; }
    [JsonPropertyName("mean_kld")] public required double MeanKld { get; init; }
    [JsonPropertyName("mean_kld_error")] public required double MeanKldError { get; init; }
    [JsonPropertyName("kld_quantiles")] public required IReadOnlyList<QuantileJson> KldQuantiles { get; init; }
    [JsonPropertyName("mean_delta_p")] public required double MeanDeltaP { get; init; }
    [JsonPropertyName("delta_p_quantiles")] public required IReadOnlyList<QuantileJson> DeltaPQuantiles { get; init; }
    [JsonPropertyName("rms_delta_p")] public required double RmsDeltaP { get; init; }
    [JsonPropertyName("same_top_p")] public required double SameTopP { get; init; }
    [JsonPropertyName("top_k")] public required int TopK { get; init; }
    [JsonPropertyName("top_k_overlap")] public required double TopKOverlap { get; init; }
    [JsonPropertyName("tokens_scored")] public required int TokensScored { get; init; }
    [JsonPropertyName("chunks")] public required int Chunks { get; init; }
}

/// <summary>The serializer for <c>eval --json</c>, generated at compile time (the NativeAOT build has no reflection-based serialization).</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(PerplexityJson))]
[JsonSerializable(typeof(KlDivergenceJson))]
internal sealed partial class EvalJsonContext : JsonSerializerContext;
