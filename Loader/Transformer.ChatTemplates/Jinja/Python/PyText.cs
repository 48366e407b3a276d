using System.Globalization;
using System.Text;

namespace Transformer.ChatTemplates.Jinja.Python;

/// <summary>
/// Python's <c>str</c> semantics where they differ from .NET's: whitespace is what <c>str.isspace()</c>
/// accepts, and lengths, indexes and slices count code points (Python strings), not UTF-16 units, so an emoji
/// is one character as in Jinja2.
/// </summary>
internal static class PyText
{
    /// <summary>
    /// <c>str.isspace()</c> for one character: bidirectional class WS, B or S, or category Zs. This is
    /// .NET's char.IsWhiteSpace plus the four ASCII information separators U+001C–U+001F, which Python counts.
    /// </summary>
    public static bool IsSpace(char c) => c is >= '\u001c' and <= '\u001f' || char.IsWhiteSpace(c);

    public static bool IsAllSpace(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return false;
        foreach (char c in s)
        {
            if (!IsSpace(c)) return false;
        }

        return true;
    }

    public static string Strip(string s, string? chars) => RStrip(LStrip(s, chars), chars);

    public static string LStrip(string s, string? chars)
    {
        int i = 0;
        while (i < s.Length && Strips(s[i], chars)) i++;
        return s[i..];
    }

    public static string RStrip(string s, string? chars)
    {
        int end = s.Length;
        while (end > 0 && Strips(s[end - 1], chars)) end--;
        return s[..end];
    }

    private static bool Strips(char c, string? chars) => chars is null ? IsSpace(c) : chars.Contains(c, StringComparison.Ordinal);

    /// <summary><c>str.split(sep, maxsplit)</c>; with no separator, runs of whitespace split and empty parts are dropped.</summary>
    public static List<string> Split(string s, string? separator, int maxSplit)
    {
        var parts = new List<string>();
        if (separator is null)
        {
            int i = 0;
            while (true)
            {
                while (i < s.Length && IsSpace(s[i])) i++;
                if (i >= s.Length) break;
                if (maxSplit >= 0 && parts.Count == maxSplit)
                {
                    parts.Add(RStrip(s[i..], null));
                    break;
                }

                int start = i;
                while (i < s.Length && !IsSpace(s[i])) i++;
                parts.Add(s[start..i]);
            }

            return parts;
        }

        if (separator.Length == 0) throw new TemplateError("empty separator");
        int from = 0;
        while (maxSplit < 0 || parts.Count < maxSplit)
        {
            int at = s.IndexOf(separator, from, StringComparison.Ordinal);
            if (at < 0) break;
            parts.Add(s[from..at]);
            from = at + separator.Length;
        }

        parts.Add(s[from..]);
        return parts;
    }

    /// <summary><c>str.rsplit(sep, maxsplit)</c>.</summary>
    public static List<string> RSplit(string s, string? separator, int maxSplit)
    {
        if (maxSplit < 0) return Split(s, separator, maxSplit);
        var parts = new List<string>();
        if (separator is null)
        {
            int i = s.Length;
            while (true)
            {
                while (i > 0 && IsSpace(s[i - 1])) i--;
                if (i <= 0) break;
                if (parts.Count == maxSplit)
                {
                    parts.Add(LStrip(s[..i], null));
                    break;
                }

                int end = i;
                while (i > 0 && !IsSpace(s[i - 1])) i--;
                parts.Add(s[i..end]);
            }

            parts.Reverse();
            return parts;
        }

        if (separator.Length == 0) throw new TemplateError("empty separator");
        int to = s.Length;
        while (parts.Count < maxSplit)
        {
            int at = to - separator.Length < 0 ? -1 : s.LastIndexOf(separator, to - 1, to, StringComparison.Ordinal);
            if (at < 0) break;
            parts.Add(s[(at + separator.Length)..to]);
            to = at;
        }

        parts.Add(s[..to]);
        parts.Reverse();
        return parts;
    }

    /// <summary><c>str.splitlines()</c> (without keepends), breaking where Python does.</summary>
    public static List<string> SplitLines(string s)
    {
        var lines = new List<string>();
        int start = 0;
        int i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (c is '\n' or '\r' or '\v' or '\f' or '\u001c' or '\u001d' or '\u001e' or '\u0085' or '\u2028' or '\u2029')
            {
                lines.Add(s[start..i]);
                i += c == '\r' && i + 1 < s.Length && s[i + 1] == '\n' ? 2 : 1;
                start = i;
            }
            else
            {
                i++;
            }
        }

        if (start < s.Length) lines.Add(s[start..]);
        return lines;
    }

    public static string Upper(string s) => s.ToUpperInvariant();

    public static string Lower(string s) => s.ToLowerInvariant();

    /// <summary><c>str.capitalize()</c>: the first character upper case, the rest lower case.</summary>
    public static string Capitalize(string s)
    {
        if (s.Length == 0) return s;
        int first = char.IsSurrogatePair(s, 0) ? 2 : 1;
        return s[..first].ToUpperInvariant() + s[first..].ToLowerInvariant();
    }

    /// <summary><c>str.title()</c>: a cased character after an uncased one starts a word (upper), others are lower.</summary>
    public static string Title(string s)
    {
        var result = new StringBuilder(s.Length);
        bool previousCased = false;
        foreach (Rune rune in s.EnumerateRunes())
        {
            bool cased = Rune.IsLetter(rune) && (Rune.IsUpper(rune) || Rune.IsLower(rune) || Rune.GetUnicodeCategory(rune) == UnicodeCategory.TitlecaseLetter);
            Rune mapped = cased ? (previousCased ? Rune.ToLowerInvariant(rune) : Rune.ToUpperInvariant(rune)) : rune;
            result.Append(mapped.ToString());
            previousCased = cased;
        }

        return result.ToString();
    }

    /// <summary>True when every code point is a single UTF-16 unit, so .NET indexes are Python indexes.</summary>
    public static bool IsBmpOnly(string s)
    {
        foreach (char c in s)
        {
            if (char.IsSurrogate(c)) return false;
        }

        return true;
    }

    /// <summary>The number of code points (Python's <c>len</c>).</summary>
    public static int Length(string s)
    {
        if (IsBmpOnly(s)) return s.Length;
        int count = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (!(char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))) count++;
        }

        return count;
    }

    /// <summary>The string as code points, each a string of one or two UTF-16 units.</summary>
    public static string[] CodePoints(string s)
    {
        var points = new List<string>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                points.Add(s.Substring(i, 2));
                i++;
            }
            else
            {
                points.Add(s[i].ToString());
            }
        }

        return [.. points];
    }

    /// <summary>Python's <c>str.isprintable()</c> for one code point (used by <c>repr</c>).</summary>
    public static bool IsPrintable(Rune rune)
    {
        if (rune.Value == ' ') return true;
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
                or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                or UnicodeCategory.SpaceSeparator => false,
            _ => true,
        };
    }
}
