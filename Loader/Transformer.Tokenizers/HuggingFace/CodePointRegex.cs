using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Transformer.Tokenizers.HuggingFace;

/// <summary>
/// Runs a Hugging Face split pattern over code points rather than UTF-16 units. The patterns are
/// written for Oniguruma, where <c>\p{L}</c> matches 𠀀 or 𝐀; .NET's regex sees such a character as two
/// surrogates (category Cs) and would split words in other places. So each supplementary code point is
/// replaced, for matching only, by a BMP character of the same Unicode category, and the matches are
/// mapped back to the original text.
/// </summary>
internal sealed class CodePointRegex
{
    private static readonly Dictionary<UnicodeCategory, char> StandIns = BuildStandIns();

    private readonly Regex _regex;

    public CodePointRegex(Regex regex) => _regex = regex;

    /// <summary>The (start, length) of every match in <paramref name="text"/>, in UTF-16 units of the original.</summary>
    public IEnumerable<(int Start, int Length)> Matches(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF'))
        {
            foreach (Match m in _regex.Matches(text))
            {
                yield return (m.Index, m.Length);
            }

            yield break;
        }

        // offsets[i] is the original index of stand-in character i (plus one entry for the end).
        var standIn = new StringBuilder(text.Length);
        var offsets = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length;)
        {
            offsets.Add(i);
            Rune.DecodeFromUtf16(text.AsSpan(i), out Rune rune, out int used);
            standIn.Append(rune.IsBmp ? (char)rune.Value : StandIns.GetValueOrDefault(Rune.GetUnicodeCategory(rune), '\uFFFD'));
            i += used;
        }

        offsets.Add(text.Length);
        foreach (Match m in _regex.Matches(standIn.ToString()))
        {
            int start = offsets[m.Index];
            yield return (start, offsets[m.Index + m.Length] - start);
        }
    }

    private static Dictionary<UnicodeCategory, char> BuildStandIns()
    {
        // The first non-ASCII BMP character of each category: never a literal in a split pattern.
        var standIns = new Dictionary<UnicodeCategory, char>();
        for (int c = 0x80; c <= 0xFFFF; c++)
        {
            if (c is >= 0xD800 and <= 0xDFFF)
            {
                continue;
            }

            standIns.TryAdd(CharUnicodeInfo.GetUnicodeCategory((char)c), (char)c);
        }

        return standIns;
    }
}
