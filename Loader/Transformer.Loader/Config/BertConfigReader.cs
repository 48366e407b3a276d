using System.Text;
using System.Text.Json;
using Transformer.Loader.Json;

namespace Transformer.Loader.Config;

/// <summary>
/// Reads the <c>config.json</c> of a BERT encoder (model_type <c>bert</c>: BertModel and the sentence-transformers
/// models built on it, e.g. all-MiniLM-L6-v2, bge-small) into a <see cref="BertConfig"/>, with transformers' defaults.
/// </summary>
public static class BertConfigReader
{
    /// <summary>The model_type this reader handles.</summary>
    public const string ModelType = "bert";

    /// <summary>Architectures whose weights hold a BERT encoder (heads on top, if any, are not run).</summary>
    public static IReadOnlyList<string> Architectures { get; } = ["BertModel", "BertForMaskedLM", "BertForPreTraining", "BertForSequenceClassification"];

    /// <summary>Whether the config.json text names a BERT encoder, by model_type or architectures[0].</summary>
    public static bool Describes(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object
        && ((root.TryGetProperty("model_type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == ModelType)
            || (root.TryGetProperty("architectures", out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0
                && list[0].ValueKind == JsonValueKind.String && Architectures.Contains(list[0].GetString())));

    /// <summary>Whether <paramref name="folder"/> holds a config.json that names a BERT encoder (false without one, or unreadable).</summary>
    public static bool IsBertFolder(string folder)
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
    public static BertConfig Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses config.json text; <paramref name="source"/> prefixes every error. The result has been validated.</summary>
    public static BertConfig Parse(string json, string source)
    {
        using var document = StrictJson.Parse(Encoding.UTF8.GetBytes(json), $"{source}: ");
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException($"{source}: expected a JSON object, found {root.ValueKind}");
        if (!Describes(root))
            throw new ModelFormatException($"{source}: not a BERT config; expected model_type '{ModelType}' or architectures[0] one of {string.Join(", ", Architectures)}");
        var fields = new JsonFields(root, source);

        string activation = fields.OptionalString("hidden_act") ?? "gelu";
        if (activation is not "gelu")
            throw new ModelFormatException($"{source}: hidden_act '{InputQuote.Cap(activation)}' is not supported for bert; supported: gelu (the exact erf GELU)");
        string positions = fields.OptionalString("position_embedding_type") ?? "absolute";
        if (positions is not "absolute")
            throw new ModelFormatException($"{source}: position_embedding_type '{InputQuote.Cap(positions)}' is not supported; supported: absolute");
        var architectures = fields.StringList("architectures");

        var config = new BertConfig
        {
            Architecture = architectures.Count > 0 ? architectures[0] : "BertModel",
            HiddenSize = fields.RequiredInt("hidden_size"),
            IntermediateSize = fields.RequiredInt("intermediate_size"),
            NumLayers = fields.RequiredInt("num_hidden_layers"),
            NumHeads = fields.RequiredInt("num_attention_heads"),
            VocabSize = fields.RequiredInt("vocab_size"),
            MaxPositions = fields.OptionalInt("max_position_embeddings") ?? 512,
            TypeVocabSize = fields.OptionalInt("type_vocab_size") ?? 2,
            LayerNormEps = fields.OptionalFloat("layer_norm_eps") ?? 1e-12f,
            PadTokenId = fields.OptionalInt("pad_token_id"),
        };
        config.Validate(source);
        return config;
    }
}
