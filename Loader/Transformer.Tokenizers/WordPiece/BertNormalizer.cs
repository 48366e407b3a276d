using System.Globalization;
using System.Text;
using Transformer.Tokenizers.HuggingFace;

namespace Transformer.Tokenizers.WordPiece;

/// <summary>
/// BERT's normalizer, step for step as Hugging Face's: clean the text (drop NUL, U+FFFD and other-category
/// characters, turn whitespace into spaces), put spaces around CJK ideographs, strip accents (NFD, then drop
/// nonspacing marks; by default exactly when lowercasing), lowercase.
/// </summary>
internal sealed class BertNormalizer(bool cleanText, bool handleChineseChars, bool? stripAccents, bool lowercase)
{
    public string Normalize(string text)
    {
        if (cleanText)
        {
            text = Clean(text);
        }

        if (handleChineseChars)
        {
            text = SpaceChineseChars(text);
        }

        if (stripAccents ?? lowercase)
        {
            text = StripAccents(text);
        }

        return lowercase ? TokenizerJsonNormalizer.Lowercase(text) : text;
    }

    /// <summary>Whitespace as BERT counts it: tab, newline, carriage return, and Unicode White_Space.</summary>
    public static bool IsWhitespace(Rune c) => c.Value is '\t' or '\n' or '\r' || Rune.IsWhiteSpace(c);

    private static string Clean(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (Rune c in text.EnumerateRunes())
        {
            if (c.Value == 0 || c.Value == 0xFFFD || IsControl(c))
            {
                continue;
            }

            builder.Append(IsWhitespace(c) ? " " : c.ToString());
        }

        return builder.ToString();
    }

    // Control, format, surrogate and private-use characters (Cc, Cf, Cs, Co), except the three whitespace controls.
    // Unassigned code points (Cn) stay, as in Hugging Face (they become [UNK]).
    private static bool IsControl(Rune c) => c.Value is not ('\t' or '\n' or '\r') && Rune.GetUnicodeCategory(c) is
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse;

    // The CJK Unified Ideographs blocks BERT's original code lists (not Hangul, Hiragana or Katakana).
    private static bool IsChineseChar(int c) => c is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
        or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B920 and <= 0x2CEAF) or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);

    private static string SpaceChineseChars(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (Rune c in text.EnumerateRunes())
        {
            if (IsChineseChar(c.Value))
            {
                builder.Append(' ').Append(c.ToString()).Append(' ');
            }
            else
            {
                builder.Append(c.ToString());
            }
        }

        return builder.ToString();
    }

    private static string StripAccents(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (Rune c in text.Normalize(NormalizationForm.FormD).EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                builder.Append(c.ToString());
            }
        }

        return builder.ToString();
    }
}
