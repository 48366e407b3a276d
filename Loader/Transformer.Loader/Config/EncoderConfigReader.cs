using System.Text;
using System.Text.Json;
using Transformer.Loader.Json;

namespace Transformer.Loader.Config;

/// <summary>Recognises an encoder's config.json (BERT or nomic-bert) and reads it with its family's reader.</summary>
public static class EncoderConfigReader
{
    /// <summary>The encoder model_types that can be loaded.</summary>
    public static IReadOnlyList<string> ModelTypes { get; } = [BertConfigReader.ModelType, NomicBertConfigReader.ModelType];

    /// <summary>Whether the config.json root names an encoder: BERT by model_type or architecture, nomic-bert by model_type.</summary>
    public static bool Describes(JsonElement root) => BertConfigReader.Describes(root) || IsNomicBert(root);

    /// <summary>Whether <paramref name="folder"/> holds a config.json that names an encoder (false without one, or unreadable).</summary>
    public static bool IsEncoderFolder(string folder)
    {
        string path = Path.Combine(folder, HuggingFaceConfig.FileName);
        if (!File.Exists(path)) return false;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return Describes(document.RootElement);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Reads and parses the config file at <paramref name="path"/>.</summary>
    public static EncoderConfig Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses config.json text into its family's config; <paramref name="source"/> prefixes every error.</summary>
    public static EncoderConfig Parse(string json, string source)
    {
        using var document = StrictJson.Parse(Encoding.UTF8.GetBytes(json), $"{source}: ");
        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Object && IsNomicBert(root)) return NomicBertConfigReader.Parse(root, source);
        if (root.ValueKind == JsonValueKind.Object && !BertConfigReader.Describes(root) && root.TryGetProperty("model_type", out var type) && type.ValueKind == JsonValueKind.String)
            throw new ModelFormatException($"{source}: model_type '{InputQuote.Cap(type.GetString() ?? "")}' is not a supported encoder; supported encoder model types: {string.Join(", ", ModelTypes)}");
        return BertConfigReader.Parse(json, source);
    }

    private static bool IsNomicBert(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("model_type", out var type)
        && type.ValueKind == JsonValueKind.String && type.GetString() == NomicBertConfigReader.ModelType;
}
