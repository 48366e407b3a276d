using System.Text.Json.Serialization;

namespace Transformer.Cli.Bench;

/// <summary>
/// The serializer for <c>bench --json</c>, generated at compile time: reflection-based serialization is
/// not available in the NativeAOT build.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(IReadOnlyList<BenchResult>))]
[JsonSerializable(typeof(IReadOnlyList<ConcurrencyResult>))]
[JsonSerializable(typeof(CompletionBody))]
[JsonSerializable(typeof(ChatBody))]
[JsonSerializable(typeof(IReadOnlyList<FleetResult>))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
