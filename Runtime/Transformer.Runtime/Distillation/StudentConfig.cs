using System.Text.Json;
using System.Text.Json.Nodes;
using Transformer.Loader.Config;

namespace Transformer.Runtime.Distillation;

/// <summary>
/// A student's config.json, settled against its teacher: logit distillation compares the two distributions token by
/// token, so the student must have the teacher's vocabulary. A preset takes the teacher's vocab_size and BOS/EOS ids;
/// a config file must already have the teacher's vocab_size (a different one is an error naming both).
/// </summary>
public static class StudentConfig
{
    /// <summary>The config.json text of a preset, with the teacher's vocabulary and special tokens filled in.</summary>
    public static string FromPreset(string preset, ModelConfig teacher)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        var root = Parse(StudentPresets.ConfigJson(preset), $"preset {preset}");
        root["vocab_size"] = teacher.VocabSize;
        SpecialTokens(root, teacher);
        return Finish(root, $"student preset {preset}");
    }

    /// <summary>
    /// The config.json text of <paramref name="json"/> (from <paramref name="source"/>), checked to have the teacher's
    /// vocab_size; the teacher's BOS/EOS ids fill in what it leaves out.
    /// </summary>
    /// <exception cref="ArgumentException">The vocabulary sizes differ, or the file has none.</exception>
    public static string FromFile(string json, string source, ModelConfig teacher)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        var root = Parse(json, source);
        if (root["vocab_size"] is not JsonValue value || !value.TryGetValue(out int vocab))
            throw new ArgumentException($"{source}: no vocab_size; a student for logit distillation needs the teacher's ({teacher.VocabSize})");
        if (vocab != teacher.VocabSize)
            throw new ArgumentException($"{source}: vocab_size {vocab}, but the teacher's vocabulary has {teacher.VocabSize} tokens; logit distillation needs the same vocabulary (set vocab_size to {teacher.VocabSize})");
        if (root["bos_token_id"] is null && root["eos_token_id"] is null) SpecialTokens(root, teacher);
        return Finish(root, source);
    }

    private static JsonObject Parse(string json, string source)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject ?? throw new ArgumentException($"{source}: the config is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{source}: not valid JSON: {e.Message}", e);
        }
    }

    private static void SpecialTokens(JsonObject root, ModelConfig teacher)
    {
        root["bos_token_id"] = teacher.BosTokenId is { } bos ? JsonValue.Create(bos) : null;
        root["eos_token_id"] = teacher.EosTokenIds.Count switch
        {
            0 => null,
            1 => JsonValue.Create(teacher.EosTokenIds[0]),
            _ => new JsonArray([.. teacher.EosTokenIds.Select(id => (JsonNode)JsonValue.Create(id))]),
        };
    }

    // Weights are written as float32; the text is checked by the model reader so a bad shape fails here, not at load.
    private static string Finish(JsonObject root, string source)
    {
        root["torch_dtype"] = "float32";
        string text = root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        HuggingFaceConfig.Parse(text, source);
        return text;
    }
}
