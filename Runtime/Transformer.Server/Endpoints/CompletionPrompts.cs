using System.Text.Json;
using Transformer.Server.Api;
using Transformer.Server.Hosting;

namespace Transformer.Server.Endpoints;

/// <summary>
/// The legacy <c>prompt</c> field: a string, an array of strings, an array of token ids or an array of such
/// arrays. Strings are encoded with BOS first (when the vocabulary has one); token ids are taken as given.
/// </summary>
internal static class CompletionPrompts
{
    public static IReadOnlyList<IReadOnlyList<int>> Read(JsonElement? prompt, ServedModel model)
    {
        if (prompt is not { } element || element.ValueKind == JsonValueKind.Null) throw ApiException.InvalidField("prompt", "'prompt' is required");
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return [Encode(element.GetString()!, model, "prompt")];
            case JsonValueKind.Array when element.GetArrayLength() == 0:
                throw ApiException.InvalidField("prompt", "'prompt' must not be an empty array");
            case JsonValueKind.Array:
                var first = element[0];
                if (first.ValueKind == JsonValueKind.Number) return [Tokens(element, model, "prompt")];
                var prompts = new List<IReadOnlyList<int>>();
                int i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    string field = $"prompt[{i++}]";
                    prompts.Add(item.ValueKind switch
                    {
                        JsonValueKind.String => Encode(item.GetString()!, model, field),
                        JsonValueKind.Array => Tokens(item, model, field),
                        _ => throw ApiException.InvalidField(field, $"'{field}' must be a string or an array of token ids"),
                    });
                }
                return prompts;
            default:
                throw ApiException.InvalidField("prompt", "'prompt' must be a string, an array of strings, an array of token ids or an array of such arrays");
        }
    }

    private static IReadOnlyList<int> Encode(string text, ServedModel model, string field)
    {
        var tokens = model.Tokenizer.Encode(text, addBos: true);
        if (tokens.Count == 0) throw ApiException.InvalidField(field, $"'{field}' encodes to no tokens and the vocabulary has no BOS to start from");
        return tokens;
    }

    private static int[] Tokens(JsonElement array, ServedModel model, string field)
    {
        if (array.GetArrayLength() == 0) throw ApiException.InvalidField(field, $"'{field}' must hold at least one token id");
        var tokens = new int[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out int id))
                throw ApiException.InvalidField($"{field}[{i}]", $"'{field}[{i}]' must be an integer token id");
            if ((uint)id >= (uint)model.VocabSize)
                throw ApiException.InvalidField($"{field}[{i}]", $"'{field}[{i}]' is {id}, outside the vocabulary [0, {model.VocabSize})");
            tokens[i++] = id;
        }
        return tokens;
    }
}
