using System.Globalization;
using Transformer.ChatTemplates.Jinja.Python;

namespace Transformer.ChatTemplates.Jinja.Lexing;

/// <summary>
/// Splits a template into tokens as Jinja2's lexer does with Hugging Face's settings (trim_blocks and
/// lstrip_blocks on, keep_trailing_newline off):
/// <list type="bullet">
/// <item>line ends are normalized to "\n" and one trailing newline of the source is dropped;</item>
/// <item><c>{%-</c>, <c>{{-</c>, <c>{#-</c> strip all whitespace before the tag, <c>-%}</c>, <c>-}}</c>, <c>-#}</c> all after it;</item>
/// <item>trim_blocks: a block or comment tag ending in <c>%}</c>/<c>#}</c> also takes the one newline after it
/// (<c>+%}</c> keeps it);</item>
/// <item>lstrip_blocks: spaces and tabs between the start of a line and a block or comment tag are dropped
/// (<c>{%+</c> keeps them); print tags <c>{{</c> are never lstripped;</item>
/// <item>inside <c>{% raw %}…{% endraw %}</c> the text is data.</item>
/// </list>
/// </summary>
internal sealed class Lexer
{
    private static readonly string[] Operators =
        ["//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"];

    private readonly string _source;
    private readonly int[] _lineStarts;
    private readonly List<Token> _tokens = [];
    private int _pos;

    // Whether the text just lexed ended with a newline (Jinja2's line_starting): a tag whose preceding text
    // has no newline of its own is still at the start of a line when the previous tag swallowed one.
    private bool _lineStarting = true;

    private Lexer(string source)
    {
        _source = Normalize(source);
        var starts = new List<int> { 0 };
        for (int i = 0; i < _source.Length; i++)
        {
            if (_source[i] == '\n') starts.Add(i + 1);
        }

        _lineStarts = [.. starts];
    }

    public static List<Token> Tokenize(string source)
    {
        var lexer = new Lexer(source);
        lexer.Run();
        return lexer._tokens;
    }

    private static string Normalize(string source)
    {
        string text = source.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        return text.EndsWith('\n') ? text[..^1] : text;
    }

    private SourcePosition PositionOf(int index)
    {
        int line = Array.BinarySearch(_lineStarts, index);
        if (line < 0) line = ~line - 1;
        return new SourcePosition(line + 1, index - _lineStarts[line] + 1);
    }

    private void Run()
    {
        while (_pos < _source.Length)
        {
            int tag = FindTagStart(_pos);
            if (tag < 0)
            {
                Add(TokenKind.Data, _source[_pos..], _pos);
                break;
            }

            char kind = _source[tag + 1];
            char sign = tag + 2 < _source.Length && _source[tag + 2] is '-' or '+' ? _source[tag + 2] : '\0';
            int rawBodyStart = kind == '%' ? MatchRawBegin(tag) : -1;
            string text = ControlWhitespaceBefore(_source[_pos..tag], sign, isPrint: kind == '{');
            if (text.Length > 0) Add(TokenKind.Data, text, _pos);

            int afterOpener = tag + 2 + (sign == '\0' ? 0 : 1);
            if (rawBodyStart >= 0)
            {
                _lineStarting = _source[rawBodyStart - 1] == '\n';
                LexRaw(rawBodyStart);
            }
            else if (kind == '#') LexComment(tag, afterOpener);
            else LexTag(tag, afterOpener, kind == '{');
        }

        _tokens.Add(new Token(TokenKind.Eof, "", PositionOf(_source.Length)));
    }

    private int FindTagStart(int from)
    {
        for (int i = _source.IndexOf('{', from); i >= 0 && i + 1 < _source.Length; i = _source.IndexOf('{', i + 1))
        {
            if (_source[i + 1] is '{' or '%' or '#') return i;
        }

        return -1;
    }

    /// <summary>The text before a tag after whitespace control: '-' strips it all, lstrip_blocks strips the line's indentation.</summary>
    private string ControlWhitespaceBefore(string text, char sign, bool isPrint)
    {
        if (sign == '-') return PyText.RStrip(text, null);
        if (sign == '+' || isPrint) return text;
        int lineStart = text.LastIndexOf('\n') + 1;
        if ((lineStart > 0 || _lineStarting) && PyText.IsAllSpace(text.AsSpan(lineStart))) return text[..lineStart];
        return text;
    }

    private void Add(TokenKind kind, string text, int at) => _tokens.Add(new Token(kind, text, PositionOf(at)));

    /// <summary>
    /// <c>{%(-|+)? raw (-%}\s*|%})</c> at <paramref name="tag"/>: returns where the raw text starts, or -1.
    /// (Jinja2 does not apply trim_blocks to the raw opener, only to <c>endraw</c>.)
    /// </summary>
    private int MatchRawBegin(int tag)
    {
        int i = tag + 2;
        if (i < _source.Length && _source[i] is '-' or '+') i++;
        i = SkipSpace(i);
        if (string.CompareOrdinal(_source, i, "raw", 0, 3) != 0) return -1;
        i = SkipSpace(i + 3);
        if (string.CompareOrdinal(_source, i, "-%}", 0, 3) == 0) return SkipSpace(i + 3);
        if (string.CompareOrdinal(_source, i, "%}", 0, 2) == 0) return i + 2;
        return -1;
    }

    private void LexRaw(int bodyStart)
    {
        for (int tag = _source.IndexOf("{%", bodyStart, StringComparison.Ordinal); tag >= 0; tag = _source.IndexOf("{%", tag + 1, StringComparison.Ordinal))
        {
            int i = tag + 2;
            char sign = i < _source.Length && _source[i] is '-' or '+' ? _source[i++] : '\0';
            i = SkipSpace(i);
            if (string.CompareOrdinal(_source, i, "endraw", 0, 6) != 0) continue;
            int end = MatchBlockEnd(SkipSpace(i + 6));
            if (end < 0) continue;

            string text = ControlWhitespaceBefore(_source[bodyStart..tag], sign, isPrint: false);
            if (text.Length > 0) Add(TokenKind.Data, text, bodyStart);
            _lineStarting = _source[end - 1] == '\n';
            _pos = end;
            return;
        }

        throw TemplateError.Syntax("missing end of raw directive ({% endraw %})", PositionOf(bodyStart));
    }

    private void LexComment(int tag, int from)
    {
        // The comment ends at the first "#}"; a '-' or '+' right before it is its whitespace control.
        int i = _source.IndexOf("#}", from, StringComparison.Ordinal);
        if (i < 0) throw TemplateError.Syntax("missing end of comment tag (#})", PositionOf(tag));
        int end;
        if (i > from && _source[i - 1] == '-') end = SkipSpace(i + 2);
        else if (i > from && _source[i - 1] == '+') end = i + 2;
        else end = i + 2 < _source.Length && _source[i + 2] == '\n' ? i + 3 : i + 2;
        _lineStarting = _source[end - 1] == '\n';
        _pos = end;
    }

    /// <summary>The end of a block tag at <paramref name="i"/> (<c>+%}</c>, <c>-%}</c> and following whitespace, <c>%}</c> and one newline), or -1.</summary>
    private int MatchBlockEnd(int i)
    {
        if (string.CompareOrdinal(_source, i, "+%}", 0, 3) == 0) return i + 3;
        if (string.CompareOrdinal(_source, i, "-%}", 0, 3) == 0) return SkipSpace(i + 3);
        if (string.CompareOrdinal(_source, i, "%}", 0, 2) == 0) return i + 2 < _source.Length && _source[i + 2] == '\n' ? i + 3 : i + 2;
        return -1;
    }

    private int MatchVariableEnd(int i)
    {
        if (string.CompareOrdinal(_source, i, "-}}", 0, 3) == 0) return SkipSpace(i + 3);
        if (string.CompareOrdinal(_source, i, "}}", 0, 2) == 0) return i + 2;
        return -1;
    }

    private int SkipSpace(int i)
    {
        while (i < _source.Length && PyText.IsSpace(_source[i])) i++;
        return i;
    }

    private void LexTag(int tag, int from, bool isPrint)
    {
        Add(isPrint ? TokenKind.VariableBegin : TokenKind.BlockBegin, isPrint ? "{{" : "{%", tag);
        var brackets = new Stack<char>();
        int i = from;
        while (true)
        {
            // End tags only count outside brackets, so "{{ {'a': {'b': 1}} }}" lexes as Jinja2 lexes it.
            if (brackets.Count == 0)
            {
                int end = isPrint ? MatchVariableEnd(i) : MatchBlockEnd(i);
                if (end >= 0)
                {
                    Add(isPrint ? TokenKind.VariableEnd : TokenKind.BlockEnd, isPrint ? "}}" : "%}", i);
                    _lineStarting = _source[end - 1] == '\n';
                    _pos = end;
                    return;
                }
            }

            if (i >= _source.Length)
            {
                throw TemplateError.Syntax($"unexpected end of template: the tag opened here is never closed with {(isPrint ? "}}" : "%}")}", PositionOf(tag));
            }

            char c = _source[i];
            if (PyText.IsSpace(c)) { i++; continue; }
            if (char.IsAsciiDigit(c)) { i = LexNumber(i); continue; }
            if (char.IsLetter(c) || c == '_') { i = LexName(i); continue; }
            if (c is '\'' or '"') { i = LexString(i); continue; }
            i = LexOperator(i, brackets);
        }
    }

    private int LexName(int start)
    {
        int i = start + 1;
        while (i < _source.Length && (char.IsLetterOrDigit(_source[i]) || _source[i] == '_' || CharUnicodeInfo.GetUnicodeCategory(_source[i]) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.ConnectorPunctuation)) i++;
        Add(TokenKind.Name, _source[start..i], start);
        return i;
    }

    private int LexString(int start)
    {
        char quote = _source[start];
        int i = start + 1;
        while (i < _source.Length && _source[i] != quote)
        {
            i += _source[i] == '\\' ? 2 : 1;
        }

        if (i >= _source.Length) throw TemplateError.Syntax($"unterminated string literal (opened with {quote})", PositionOf(start));
        string value;
        try
        {
            value = StringLiteral.Decode(_source[(start + 1)..i]);
        }
        catch (TemplateError e)
        {
            throw TemplateError.Syntax(e.Message, PositionOf(start));
        }

        _tokens.Add(new Token(TokenKind.String, value, PositionOf(start)));
        return i + 1;
    }

    /// <summary>Jinja2's float and integer literals: digits with single underscores between them, 0b/0o/0x prefixes.</summary>
    private int LexNumber(int start)
    {
        // A float is not lexed right after a dot ("x.0.1" is x[0][1] in Jinja2).
        bool afterDot = start > 0 && _source[start - 1] == '.';
        int digitsEnd = ScanDigits(start, char.IsAsciiDigit);
        if (!afterDot)
        {
            int i = digitsEnd;
            bool isFloat = false;
            if (i < _source.Length && _source[i] == '.' && ScanDigits(i + 1, char.IsAsciiDigit) is int fraction and > 0)
            {
                i = fraction;
                isFloat = true;
            }

            if (i < _source.Length && _source[i] is 'e' or 'E')
            {
                int e = i + 1;
                if (e < _source.Length && _source[e] is '+' or '-') e++;
                if (ScanDigits(e, char.IsAsciiDigit) is int exponent and > 0)
                {
                    i = exponent;
                    isFloat = true;
                }
            }

            if (isFloat)
            {
                string spelled = _source[start..i];
                double value = double.Parse(spelled.Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture);
                _tokens.Add(new Token(TokenKind.Float, spelled, PositionOf(start)) { Number = value });
                return i;
            }
        }

        if (_source[start] == '0' && start + 1 < _source.Length && char.ToLowerInvariant(_source[start + 1]) is 'b' or 'o' or 'x')
        {
            char prefix = char.ToLowerInvariant(_source[start + 1]);
            Func<char, bool> isDigit = prefix switch { 'b' => c => c is '0' or '1', 'o' => c => c is >= '0' and <= '7', _ => char.IsAsciiHexDigit };
            int end = ScanPrefixedDigits(start + 2, isDigit);
            if (end > start + 2) return AddInteger(start, end, prefix switch { 'b' => 2, 'o' => 8, _ => 16 }, skip: 2);
        }

        // "[1-9](_?\d)*" or "0(_?0)*": a leading zero only runs on as zeros.
        int stop = _source[start] == '0' ? ScanDigits(start, c => c == '0') : digitsEnd;
        return AddInteger(start, stop, 10, skip: 0);
    }

    private int AddInteger(int start, int end, int radix, int skip)
    {
        string digits = _source[(start + skip)..end].Replace("_", "", StringComparison.Ordinal);
        long value = 0;
        try
        {
            foreach (char c in digits)
            {
                int d = c <= '9' ? c - '0' : char.ToLowerInvariant(c) - 'a' + 10;
                value = checked(value * radix + d);
            }
        }
        catch (OverflowException)
        {
            throw TemplateError.Syntax($"integer literal {_source[start..end]} does not fit in 64 bits", PositionOf(start));
        }

        _tokens.Add(new Token(TokenKind.Integer, _source[start..end], PositionOf(start)) { Number = value });
        return end;
    }

    /// <summary>The end of <c>(\d+_)*\d+</c> starting at <paramref name="i"/>, or -1 when no digit is there.</summary>
    private int ScanDigits(int i, Func<char, bool> isDigit)
    {
        if (i >= _source.Length || !isDigit(_source[i])) return -1;
        while (true)
        {
            while (i < _source.Length && isDigit(_source[i])) i++;
            if (i + 1 < _source.Length && _source[i] == '_' && isDigit(_source[i + 1])) i++;
            else return i;
        }
    }

    /// <summary>The end of <c>(_?d)+</c> for a prefixed literal.</summary>
    private int ScanPrefixedDigits(int i, Func<char, bool> isDigit)
    {
        while (true)
        {
            int next = i < _source.Length && _source[i] == '_' ? i + 1 : i;
            if (next < _source.Length && isDigit(_source[next])) i = next + 1;
            else return i;
        }
    }

    private int LexOperator(int i, Stack<char> brackets)
    {
        foreach (string op in Operators)
        {
            if (string.CompareOrdinal(_source, i, op, 0, op.Length) != 0) continue;
            switch (op)
            {
                case "(": brackets.Push(')'); break;
                case "[": brackets.Push(']'); break;
                case "{": brackets.Push('}'); break;
                case ")" or "]" or "}":
                    if (brackets.Count == 0) throw TemplateError.Syntax($"unexpected '{op}'", PositionOf(i));
                    char expected = brackets.Pop();
                    if (expected != op[0]) throw TemplateError.Syntax($"unexpected '{op}', expected '{expected}'", PositionOf(i));
                    break;
            }

            Add(TokenKind.Operator, op, i);
            return i + op.Length;
        }

        throw TemplateError.Syntax($"unexpected character '{_source[i]}'", PositionOf(i));
    }
}
