using System.Globalization;
using System.Text;

namespace Transformer.Tokenizers.WordPiece;

/// <summary>BERT's pre-tokenizer: words split at whitespace (dropped) and at every punctuation character (kept alone).</summary>
internal static class BertPreTokenizer
{
    public static IEnumerable<string> Words(string text)
    {
        var word = new StringBuilder();
        foreach (Rune c in text.EnumerateRunes())
        {
            if (BertNormalizer.IsWhitespace(c))
            {
                if (word.Length > 0)
                {
                    yield return word.ToString();
                    word.Clear();
                }
            }
            else if (IsPunctuation(c))
            {
                if (word.Length > 0)
                {
                    yield return word.ToString();
                    word.Clear();
                }

                yield return c.ToString();
            }
            else
            {
                word.Append(c.ToString());
            }
        }

        if (word.Length > 0)
        {
            yield return word.ToString();
        }
    }

    // ASCII punctuation (which includes symbols such as $ + < = > ^ ` | ~) or any Unicode P* category.
    private static bool IsPunctuation(Rune c) => c.IsAscii && char.IsAsciiLetterOrDigit((char)c.Value) is false && c.Value is > 0x20 and < 0x7F
        || Rune.GetUnicodeCategory(c) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
}
