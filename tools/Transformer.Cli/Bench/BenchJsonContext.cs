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
internal sealed partial class BenchJsonContext : JsonSerializerContext;
