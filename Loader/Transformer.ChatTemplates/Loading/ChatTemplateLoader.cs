using System.Text.Json;
using System.Text.Json.Nodes;
using Transformer.Loader.Gguf;

namespace Transformer.ChatTemplates;

/// <summary>
/// Finds a model's chat template where Hugging Face keeps it: a <c>chat_template.jinja</c> file beside the
/// tokenizer (transformers gives it priority), else <c>chat_template</c> in <c>tokenizer_config.json</c> (a
/// string, or a list of <c>{"name", "template"}</c> of which "default" is used). The special tokens come from
/// tokenizer_config.json's <c>bos_token</c>/<c>eos_token</c> (strings or <c>{"content": …}</c> objects).
/// A GGUF model file carries its template as <c>tokenizer.chat_template</c>, its special tokens as the pieces its
/// <c>bos_token_id</c>/<c>eos_token_id</c> name.
/// </summary>
public static class ChatTemplateLoader
{
    /// <summary>The tokenizer configuration file name.</summary>
    public const string ConfigFileName = "tokenizer_config.json";

    /// <summary>The stand-alone template file name.</summary>
    public const string TemplateFileName = "chat_template.jinja";

    /// <summary>Looks for the template of the model at <paramref name="modelPath"/> (a folder, or a file in it).</summary>
    /// <param name="modelPath">A model folder, a folder holding only tokenizer files, or a file in one.</param>
    /// <param name="templateFile">A template file to use instead of the model's own (its special tokens still come from the model).</param>
    /// <returns>The template, or the reason the model has none.</returns>
    /// <exception cref="FileNotFoundException"><paramref name="templateFile"/> does not exist.</exception>
    /// <exception cref="InvalidDataException">tokenizer_config.json is not valid JSON or its fields have the wrong types.</exception>
    /// <exception cref="ChatTemplateException">The template does not parse.</exception>
    public static ChatTemplateLookup Find(string modelPath, string? templateFile = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        if (File.Exists(modelPath) && Path.GetExtension(modelPath).Equals(".gguf", StringComparison.OrdinalIgnoreCase))
            return FromGguf(modelPath, templateFile);
        string folder = Directory.Exists(modelPath) ? modelPath : Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? ".";
        string configPath = Path.Combine(folder, ConfigFileName);
        JsonObject? config = File.Exists(configPath) ? ReadConfig(configPath) : null;
        var tokens = new ModelChatTemplate
        {
            Template = null!,
            BosToken = config is null ? null : TokenText(config, "bos_token", configPath),
            EosToken = config is null ? null : TokenText(config, "eos_token", configPath),
            AddBosToken = config?["add_bos_token"] is JsonValue add && add.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? add.GetValue<bool>() : null,
        };

        if (templateFile is not null)
        {
            if (!File.Exists(templateFile)) throw new FileNotFoundException($"{templateFile}: no such chat template file", templateFile);
            return ChatTemplateLookup.Of(tokens with { Template = ChatTemplate.Parse(File.ReadAllText(templateFile), templateFile) });
        }

        string jinjaPath = Path.Combine(folder, TemplateFileName);
        if (File.Exists(jinjaPath)) return ChatTemplateLookup.Of(tokens with { Template = ChatTemplate.Parse(File.ReadAllText(jinjaPath), jinjaPath) });

        string where = $"{folder}: no {TemplateFileName}, and " + (config is null ? $"no {ConfigFileName}" : $"{ConfigFileName} has no chat_template");
        switch (config?["chat_template"])
        {
            case null:
                return ChatTemplateLookup.None($"the model has no chat template ({where})");
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                return ChatTemplateLookup.Of(tokens with { Template = ChatTemplate.Parse(value.GetValue<string>(), $"{configPath} (chat_template)") });
            case JsonArray named:
                return FromNamedTemplates(named, configPath, tokens);
            case var other:
                throw new InvalidDataException($"{configPath}: chat_template must be a string or a list of {{name, template}}, not {other.GetValueKind()}");
        }
    }

    /// <exception cref="Transformer.Loader.ModelFormatException">The GGUF file is malformed.</exception>
    private static ChatTemplateLookup FromGguf(string path, string? templateFile)
    {
        using var file = GgufFile.Open(path);
        var m = file.Metadata;
        string[] pieces = m.OptionalStringArray("tokenizer.ggml.tokens") ?? [];
        string? Piece(string key) => m.OptionalInt(key) is int id && id >= 0 && id < pieces.Length ? pieces[id] : null;
        var tokens = new ModelChatTemplate
        {
            Template = null!,
            BosToken = Piece("tokenizer.ggml.bos_token_id"),
            EosToken = Piece("tokenizer.ggml.eos_token_id"),
            AddBosToken = m.OptionalBool("tokenizer.ggml.add_bos_token"),
        };
        if (templateFile is not null)
        {
            if (!File.Exists(templateFile)) throw new FileNotFoundException($"{templateFile}: no such chat template file", templateFile);
            return ChatTemplateLookup.Of(tokens with { Template = ChatTemplate.Parse(File.ReadAllText(templateFile), templateFile) });
        }
        return m.OptionalString("tokenizer.chat_template") is { } template
            ? ChatTemplateLookup.Of(tokens with { Template = ChatTemplate.Parse(template, $"{path} (tokenizer.chat_template)") })
            : ChatTemplateLookup.None($"the model has no chat template ({path} has no tokenizer.chat_template)");
    }

    private static ChatTemplateLookup FromNamedTemplates(JsonArray named, string configPath, ModelChatTemplate tokens)
    {
        var names = new List<string>();
        foreach (JsonNode? entry in named)
        {
            if (entry is not JsonObject { } item || item["name"] is not JsonValue name || name.GetValueKind() != JsonValueKind.String
                || item["template"] is not JsonValue template || template.GetValueKind() != JsonValueKind.String)
            {
                throw new InvalidDataException($"{configPath}: each chat_template entry must be {{\"name\": string, \"template\": string}}");
            }

            names.Add(name.GetValue<string>());
            if (names[^1] == "default")
            {
                return ChatTemplateLookup.Of(tokens with { Template = ChatTemplate.Parse(template.GetValue<string>(), $"{configPath} (chat_template 'default')") });
            }
        }

        return ChatTemplateLookup.None($"the model has no default chat template ({configPath} names only {string.Join(", ", names.Select(n => $"'{n}'"))})");
    }

    private static JsonObject ReadConfig(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>A special token: a string, an AddedToken object <c>{"content": …}</c>, or null.</summary>
    private static string? TokenText(JsonObject config, string field, string path) => config[field] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonObject token when token["content"] is JsonValue content && content.GetValueKind() == JsonValueKind.String => content.GetValue<string>(),
        _ => throw new InvalidDataException($"{path}: {field} must be a string or {{\"content\": string}}"),
    };
}

/// <summary>The outcome of <see cref="ChatTemplateLoader.Find"/>: a template, or why the model has none.</summary>
public sealed class ChatTemplateLookup
{
    private ChatTemplateLookup(ModelChatTemplate? template, string? missingReason)
    {
        Template = template;
        MissingReason = missingReason;
    }

    /// <summary>The template, or null.</summary>
    public ModelChatTemplate? Template { get; }

    /// <summary>Why there is no template ("the model has no chat template (…)"), or null when there is one.</summary>
    public string? MissingReason { get; }

    /// <summary>The template, or a <see cref="ChatTemplateNotFoundException"/> with <see cref="MissingReason"/>.</summary>
    public ModelChatTemplate Require() => Template ?? throw new ChatTemplateNotFoundException(MissingReason!);

    internal static ChatTemplateLookup Of(ModelChatTemplate template) => new(template, null);

    internal static ChatTemplateLookup None(string reason) => new(null, reason);
}

/// <summary>A model has no chat template (a server answers chat completions for it with HTTP 400).</summary>
public sealed class ChatTemplateNotFoundException(string message) : Exception(message);
