using System.Text.Json.Serialization;

namespace Transformer.Runtime.Distillation;

/// <summary>
/// <c>manifest.json</c> of a teacher export: what produced the records (hashes of the teacher's files, its
/// tokenizer and the data), how they were cut, and which shard holds how many positions.
/// </summary>
public sealed record TeacherManifest
{
    /// <summary>The format's name, so a reader can tell the folder is one.</summary>
    public const string FormatName = "transformer-teacher-topk";

    /// <summary>Always <see cref="FormatName"/>.</summary>
    [JsonPropertyName("format")] public string Format { get; init; } = FormatName;
    /// <summary>Layout version (1).</summary>
    [JsonPropertyName("version")] public int Version { get; init; } = 1;
    /// <summary>SHA-256 of the teacher's config and weight files.</summary>
    [JsonPropertyName("teacher_sha256")] public required string TeacherSha256 { get; init; }
    /// <summary>SHA-256 of the tokenizer file: a student must be trained with the same vocabulary.</summary>
    [JsonPropertyName("tokenizer_sha256")] public required string TokenizerSha256 { get; init; }
    /// <summary>SHA-256 of the data file.</summary>
    [JsonPropertyName("data_sha256")] public required string DataSha256 { get; init; }
    /// <summary>The teacher's vocabulary size.</summary>
    [JsonPropertyName("vocab_size")] public required int VocabSize { get; init; }
    /// <summary>Entries kept per position (rows past a --top-p cut are padded with id −1 and log-probability −∞).</summary>
    [JsonPropertyName("k")] public required int K { get; init; }
    /// <summary>The --top-p cut, or null when all k entries are kept.</summary>
    [JsonPropertyName("top_p")] public float? TopP { get; init; }
    /// <summary>Softmax temperature of the stored log-probabilities (always 1: raw distributions).</summary>
    [JsonPropertyName("temperature")] public float Temperature { get; init; } = 1f;
    /// <summary>Tokens per window; each window starts with BOS and contributes ctx − 1 positions.</summary>
    [JsonPropertyName("ctx")] public required int Context { get; init; }
    /// <summary>How the shards are stored: <c>safetensors</c> (the default, and what a manifest without the field means) or <c>parquet</c>.</summary>
    [JsonPropertyName("storage")] public string Storage { get; init; } = "safetensors";
    /// <summary>Positions in all shards.</summary>
    [JsonPropertyName("count")] public required long Count { get; init; }
    /// <summary>The shards, in order.</summary>
    [JsonPropertyName("shards")] public required IReadOnlyList<TeacherShard> Shards { get; init; }
}

/// <summary>One shard of an export and the positions it holds.</summary>
public sealed record TeacherShard([property: JsonPropertyName("file")] string File, [property: JsonPropertyName("count")] int Count);

/// <summary>The serializer for the manifest, generated at compile time (no reflection in the NativeAOT build).</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(TeacherManifest))]
internal sealed partial class TeacherManifestJsonContext : JsonSerializerContext;
