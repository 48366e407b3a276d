using System.Text;
using System.Text.Json;
using Transformer.Loader;

namespace Transformer.Tokenizers.HuggingFace;

/// <summary>
/// The <c>normalizer</c> of a <c>tokenizer.json</c>: none (GPT-2, Llama 3, SmolLM), Unicode normalization forms
/// (Qwen 2 uses NFC), Prepend and Replace (SentencePiece-style files: Llama 2, Gemma), Lowercase, alone or in a Sequence. Anything else would change ids silently,
/// so it is rejected.
/// </summary>
internal static class TokenizerJsonNormalizer
{
    public static Func<string, string> Parse(JsonElement normalizer, string sourceName)
    {
        if (normalizer.ValueKind != JsonValueKind.Object)
        {
            return text => text;
        }

        string type = normalizer.TryGetProperty("type", out JsonElement t) ? t.GetString() ?? "" : "";
        if (type == "Sequence")
        {
            Func<string, string>[] steps = [.. normalizer.GetProperty("normalizers").EnumerateArray().Select(n => Parse(n, sourceName))];
            return text => steps.Aggregate(text, (current, step) => step(current));
        }

        switch (type)
        {
            case "Prepend":
            {
                // Hugging Face prepends only to non-empty text.
                string prefix = normalizer.GetProperty("prepend").GetString()!;
                return text => text.Length == 0 ? text : prefix + text;
            }

            case "Replace":
            {
                string pattern = normalizer.GetProperty("pattern").TryGetProperty("String", out JsonElement p)
                    ? p.GetString()!
                    : throw new ModelFormatException($"{sourceName}: normalizer Replace with a regex pattern is not supported.");
                string content = normalizer.GetProperty("content").GetString()!;
                return text => text.Replace(pattern, content, StringComparison.Ordinal);
            }

            case "Lowercase":
                return Lowercase;
        }

        NormalizationForm form = type switch
        {
            "NFC" => NormalizationForm.FormC,
            "NFD" => NormalizationForm.FormD,
            "NFKC" => NormalizationForm.FormKC,
            "NFKD" => NormalizationForm.FormKD,
            _ => throw new ModelFormatException($"{sourceName}: normalizer \"{InputQuote.Cap(type)}\" is not supported (none, NFC, NFD, NFKC, NFKD, Prepend, Replace, Lowercase are)."),
        };
        return text => text.Normalize(form);
    }

    /// <summary>
    /// Lowercases character by character as Rust's <c>char::to_lowercase</c> (what Hugging Face applies): the full
    /// mapping of U+0130 (İ to i + combining dot), no context-dependent final sigma.
    /// </summary>
    public static string Lowercase(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (Rune rune in text.EnumerateRunes())
        {
            if (rune.Value == 0x130)
            {
                builder.Append("i\u0307");
            }
            else
            {
                builder.Append(Rune.ToLowerInvariant(rune).ToString());
            }
        }

        return builder.ToString();
    }
}
