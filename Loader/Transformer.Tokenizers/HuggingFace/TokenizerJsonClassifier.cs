using System.Text.Json;
using Transformer.Loader;

namespace Transformer.Tokenizers.HuggingFace;

/// <summary>Which of the tokenizer.json families a file is, as far as choosing a tokenizer file goes.</summary>
public enum TokenizerJsonKind
{
    /// <summary>Byte-level BPE (GPT-2, Llama 3, SmolLM, Qwen 2): read by <see cref="ByteLevelBpeTokenizer"/>.</summary>
    ByteLevelBpe,

    /// <summary>
    /// SentencePiece-style (Metaspace or ▁-replacing normalizer, byte fallback: Llama 2, Mistral). Such a model ships
    /// the same tokenizer as tokenizer.model, which is what this engine reads.
    /// </summary>
    SentencePieceStyle,

    /// <summary>WordPiece (BERT and its descendants): read by <see cref="WordPiece.WordPieceTokenizer"/>.</summary>
    WordPiece,
}

/// <summary>Reads just enough of a tokenizer.json to tell its family, failing clearly on files that are neither.</summary>
public static class TokenizerJsonClassifier
{
    /// <summary>The family of the tokenizer.json at <paramref name="path"/>.</summary>
    /// <exception cref="ModelFormatException">The file is not valid JSON, or is a JSON document of neither family.</exception>
    public static TokenizerJsonKind Classify(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Classify(File.ReadAllBytes(path), path);
    }

    /// <summary>The family of a tokenizer.json held in memory; <paramref name="path"/> names it in errors.</summary>
    /// <exception cref="ModelFormatException">The data is not valid JSON, or is a JSON document of neither family.</exception>
    public static TokenizerJsonKind Classify(byte[] utf8Json, string path)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json);
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{path}: not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException($"{path}: not a tokenizer.json: the document is {Article(root.ValueKind)}, not an object with a \"model\"");
            }

            if (root.TryGetProperty("model", out JsonElement m) && m.ValueKind == JsonValueKind.Object
                && m.TryGetProperty("type", out JsonElement type) && type.ValueKind == JsonValueKind.String && type.GetString() == "WordPiece")
            {
                return TokenizerJsonKind.WordPiece;
            }

            if (Mentions(root, "pre_tokenizer", "\"ByteLevel\""))
            {
                return TokenizerJsonKind.ByteLevelBpe;
            }

            bool byteFallback = root.TryGetProperty("model", out JsonElement model) && model.ValueKind == JsonValueKind.Object
                && model.TryGetProperty("byte_fallback", out JsonElement fallback) && fallback.ValueKind == JsonValueKind.True;
            if (byteFallback || Mentions(root, "pre_tokenizer", "Metaspace") || Mentions(root, "normalizer", "\u2581") || Mentions(root, "decoder", "Metaspace"))
            {
                return TokenizerJsonKind.SentencePieceStyle;
            }

            throw new ModelFormatException(
                $"{path}: not a tokenizer.json this engine reads: neither byte-level BPE (a ByteLevel pre_tokenizer), SentencePiece-style (Metaspace, byte_fallback) nor WordPiece");
        }
    }

    private static bool Mentions(JsonElement root, string property, string text) =>
        root.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.Object
        && value.GetRawText().Contains(text, StringComparison.Ordinal);

    private static string Article(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
