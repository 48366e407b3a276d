using System.Text.Json;
using System.Text.Json.Serialization;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Config;
using Transformer.Loader.Safetensors;
using Transformer.Runtime.Pruning;

namespace Transformer.Runtime.Distillation;

/// <summary>
/// <c>student.json</c> beside a student's weights: where it came from and the vocabulary identity a trainer checks
/// against a teacher export's manifest (same tokenizer hash, same vocab_size).
/// </summary>
public sealed record StudentRecord
{
    /// <summary>The file's name inside the student folder.</summary>
    public const string FileName = "student.json";

    /// <summary>The teacher's path as given.</summary>
    [JsonPropertyName("teacher")] public required string Teacher { get; init; }
    /// <summary>SHA-256 of the teacher's config and weight files (as <c>teacher export</c> records it).</summary>
    [JsonPropertyName("teacher_sha256")] public required string TeacherSha256 { get; init; }
    /// <summary>SHA-256 of the teacher's tokenizer file, copied into the folder (as <c>teacher export</c> records it).</summary>
    [JsonPropertyName("tokenizer_sha256")] public required string TokenizerSha256 { get; init; }
    /// <summary>The vocabulary size, the teacher's.</summary>
    [JsonPropertyName("vocab_size")] public required int VocabSize { get; init; }
    /// <summary>The preset name, or the config file's path.</summary>
    [JsonPropertyName("shape")] public required string Shape { get; init; }
    /// <summary>"random" or "teacher".</summary>
    [JsonPropertyName("init")] public required string Init { get; init; }
    /// <summary>Seed of a random initialisation.</summary>
    [JsonPropertyName("seed")] public ulong? Seed { get; init; }
    /// <summary>Standard deviation of a random initialisation.</summary>
    [JsonPropertyName("std")] public double? Std { get; init; }
    /// <summary>Teacher layers a teacher initialisation kept, in order.</summary>
    [JsonPropertyName("teacher_layers")] public IReadOnlyList<int>? TeacherLayers { get; init; }
    /// <summary>Parameters written.</summary>
    [JsonPropertyName("parameters")] public required long Parameters { get; init; }
}

/// <summary>JSON of <see cref="StudentRecord"/> (source-generated: the engine publishes under NativeAOT).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StudentRecord))]
public sealed partial class StudentRecordJsonContext : JsonSerializerContext;

/// <summary>Writes a student as a Hugging Face folder: model.safetensors (float32), config.json, the teacher's tokenizer files, student.json.</summary>
public static class StudentFolder
{
    /// <summary>Writes the folder; the config text is checked against the tensors' vocabulary first.</summary>
    public static void Write(string outputDirectory, string configJson, IReadOnlyList<HostTensor> tensors, string teacherDirectory, StudentRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var config = HuggingFaceConfig.Parse(configJson, "student config");
        if (config.VocabSize != record.VocabSize)
            throw new ArgumentException($"the student's vocab_size {config.VocabSize} differs from the teacher's {record.VocabSize}");
        Directory.CreateDirectory(outputDirectory);
        SafetensorsWriter.Write(Path.Combine(outputDirectory, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        File.WriteAllText(Path.Combine(outputDirectory, HuggingFaceConfig.FileName), configJson);
        PrunedFolder.CopyTokenizer(teacherDirectory, outputDirectory);
        File.WriteAllText(Path.Combine(outputDirectory, StudentRecord.FileName),
            JsonSerializer.Serialize(record, StudentRecordJsonContext.Default.StudentRecord) + "\n");
    }
}
