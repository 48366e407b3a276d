using System.Text;

namespace Transformer.Tokenizers;

/// <summary>
/// Text as a UTF-8 tokenizer sees it: a lone UTF-16 surrogate (which no UTF-8 text can hold) becomes U+FFFD, as it
/// does when a .NET, JavaScript or Python string crosses into Hugging Face's Rust tokenizers. Doing it first keeps
/// the split patterns from seeing a surrogate (category Cs) where the reference sees U+FFFD (category So).
/// </summary>
internal static class WellFormedText
{
    public static string Of(string text)
    {
        int first = FirstLoneSurrogate(text);
        if (first < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        builder.Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else
            {
                builder.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
            }
        }

        return builder.ToString();
    }

    private static int FirstLoneSurrogate(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (!char.IsSurrogate(text[i]))
            {
                continue;
            }

            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            return i;
        }

        return -1;
    }
}
