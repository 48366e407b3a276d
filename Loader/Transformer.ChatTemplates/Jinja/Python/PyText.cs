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

    /// <summary><c>str.upper()</c>, with Unicode's full mappings ("ß" becomes "SS"), which .NET's one-to-one mapping lacks.</summary>
    public static string Upper(string s) => IsAscii(s) ? s.ToUpperInvariant() : MapRunes(s, UpperOf);

    /// <summary><c>str.lower()</c>, with the full mappings and the final-sigma rule ("ΟΔΟΣ" becomes "οδος").</summary>
    public static string Lower(string s)
    {
        if (IsAscii(s)) return s.ToLowerInvariant();
        var result = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i += char.IsSurrogatePair(s, i) ? 2 : 1)
        {
            var rune = Rune.GetRuneAt(s, i);
            result.Append(rune.Value == 0x03A3 && IsFinalSigma(s, i) ? "\u03c2" : LowerOf(rune));
        }

        return result.ToString();
    }

    /// <summary><c>str.capitalize()</c>: the first character in title case, the rest lower case.</summary>
    public static string Capitalize(string s)
    {
        if (s.Length == 0) return s;
        var first = Rune.GetRuneAt(s, 0);
        return TitleOf(first) + Lower(s[first.Utf16SequenceLength..]);
    }

    /// <summary><c>str.title()</c>: a cased character after an uncased one starts a word (title case), others are lower.</summary>
    public static string Title(string s)
    {
        var result = new StringBuilder(s.Length);
        bool previousCased = false;
        foreach (Rune rune in s.EnumerateRunes())
        {
            result.Append(previousCased ? LowerOf(rune) : TitleOf(rune));
            previousCased = IsCased(rune);
        }

        return result.ToString();
    }

    private static bool IsAscii(string s) => System.Text.Ascii.IsValid(s);

    private static string MapRunes(string s, Func<Rune, string> map)
    {
        var result = new StringBuilder(s.Length);
        foreach (Rune rune in s.EnumerateRunes()) result.Append(map(rune));
        return result.ToString();
    }

    private static string UpperOf(Rune rune) => PyCaseTables.FullUpper.TryGetValue(rune.Value, out string? full) ? full : Rune.ToUpperInvariant(rune).ToString();

    private static string LowerOf(Rune rune) => PyCaseTables.FullLower.TryGetValue(rune.Value, out string? full) ? full : Rune.ToLowerInvariant(rune).ToString();

    private static string TitleOf(Rune rune) => PyCaseTables.Title.TryGetValue(rune.Value, out string? title) ? title : UpperOf(rune);

    private static bool IsCased(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;

    /// <summary>Unicode's Final_Sigma: a cased letter before (skipping marks) and none after.</summary>
    private static bool IsFinalSigma(string s, int at)
    {
        bool Skippable(Rune r) => Rune.GetUnicodeCategory(r) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format or UnicodeCategory.ModifierLetter;
        bool casedBefore = false;
        for (int i = at; i > 0;)
        {
            i -= i >= 2 && char.IsSurrogatePair(s, i - 2) ? 2 : 1;
            var r = Rune.GetRuneAt(s, i);
            if (Skippable(r)) continue;
            casedBefore = IsCased(r);
            break;
        }

        if (!casedBefore) return false;
        for (int i = at + 1; i < s.Length; i += char.IsSurrogatePair(s, i) ? 2 : 1)
        {
            var r = Rune.GetRuneAt(s, i);
            if (Skippable(r)) continue;
            return !IsCased(r);
        }

        return true;
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
