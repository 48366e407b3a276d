using System.Text.Json.Serialization;

namespace Transformer.Cli.Bench;

/// <summary>
/// The serializer for <c>bench --json</c>, generated at compile time: reflection-based serialization is
/// not available in the NativeAOT build.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(IReadOnlyList<BenchResult>))]
[JsonSerializable(typeof(LimitsReport))]
[JsonSerializable(typeof(IReadOnlyList<ConcurrencyResult>))]
[JsonSerializable(typeof(CompletionBody))]
[JsonSerializable(typeof(ChatBody))]
[JsonSerializable(typeof(IReadOnlyList<FleetResult>))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;

/// <summary><c>bench --limits --json</c>: the machine's limits and the rows measured beside them.</summary>
public sealed record LimitsReport
{
    /// <summary>The limits measured in this run.</summary>
    [JsonPropertyName("limits")] public required Limits.MachineLimits Limits { get; init; }
    /// <summary>The bench rows (empty for --limits alone).</summary>
    [JsonPropertyName("results")] public required IReadOnlyList<BenchResult> Results { get; init; }
}
