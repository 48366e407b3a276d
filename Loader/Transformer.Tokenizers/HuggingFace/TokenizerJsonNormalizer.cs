using System.Text;
using System.Text.Json;
using Transformer.Loader;

namespace Transformer.Tokenizers.HuggingFace;

/// <summary>
/// The <c>normalizer</c> of a byte-level <c>tokenizer.json</c>: none (GPT-2, Llama 3, SmolLM) or Unicode
/// normalization forms (Qwen 2 uses NFC), alone or in a Sequence. Anything else would change ids silently,
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

        NormalizationForm form = type switch
        {
            "NFC" => NormalizationForm.FormC,
            "NFD" => NormalizationForm.FormD,
            "NFKC" => NormalizationForm.FormKC,
            "NFKD" => NormalizationForm.FormKD,
            _ => throw new ModelFormatException($"{sourceName}: normalizer \"{InputQuote.Cap(type)}\" is not supported (none, NFC, NFD, NFKC, NFKD are)."),
        };
        return text => text.Normalize(form);
    }
}
