using System.Globalization;
using System.Text;

namespace Transformer.ChatTemplates.Jinja.Lexing;

/// <summary>
/// Decodes the inside of a string literal the way Jinja2 does: the text is first written as ASCII with
/// non-ASCII characters as backslash escapes, then decoded with Python's <c>unicode-escape</c> codec. So
/// <c>\n</c>, <c>\t</c>, <c>\xNN</c>, <c>\uNNNN</c>, <c>\UNNNNNNNN</c>, octal and line continuations work,
/// an unknown escape such as <c>\d</c> keeps its backslash, and non-ASCII text passes through unchanged.
/// </summary>
internal static class StringLiteral
{
    public static string Decode(string raw)
    {
        if (!raw.Contains('\\')) return raw;
        string ascii = BackslashReplace(raw);
        var result = new StringBuilder(ascii.Length);
        for (int i = 0; i < ascii.Length; i++)
        {
            char c = ascii[i];
            if (c != '\\' || i + 1 >= ascii.Length)
            {
                result.Append(c);
                continue;
            }

            char e = ascii[++i];
            switch (e)
            {
                case '\n': break; // a backslash before a newline continues the line
                case '\\': result.Append('\\'); break;
                case '\'': result.Append('\''); break;
                case '"': result.Append('"'); break;
                case 'a': result.Append('\a'); break;
                case 'b': result.Append('\b'); break;
                case 'f': result.Append('\f'); break;
                case 'n': result.Append('\n'); break;
                case 'r': result.Append('\r'); break;
                case 't': result.Append('\t'); break;
                case 'v': result.Append('\v'); break;
                case 'x': result.Append(Hex(ascii, ref i, 2, "\\xXX")); break;
                case 'u': result.Append(Hex(ascii, ref i, 4, "\\uXXXX")); break;
                case 'U': result.Append(Hex(ascii, ref i, 8, "\\UXXXXXXXX")); break;
                case 'N': throw new TemplateError("\\N{...} escapes are not supported in string literals");
                case >= '0' and <= '7':
                    int value = e - '0';
                    for (int n = 0; n < 2 && i + 1 < ascii.Length && ascii[i + 1] is >= '0' and <= '7'; n++) value = value * 8 + (ascii[++i] - '0');
                    result.Append((char)value);
                    break;
                default:
                    result.Append('\\').Append(e);
                    break;
            }
        }

        return result.ToString();
    }

    private static string Hex(string s, ref int i, int digits, string form)
    {
        if (i + digits >= s.Length || !int.TryParse(s.AsSpan(i + 1, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code)
            || s.AsSpan(i + 1, digits).ContainsAny("+- "))
        {
            throw new TemplateError($"truncated {form} escape in a string literal");
        }

        i += digits;
        if ((uint)code > 0x10FFFF) throw new TemplateError("illegal Unicode character in a string literal");
        return code <= 0xFFFF ? ((char)code).ToString() : char.ConvertFromUtf32(code);
    }

    /// <summary>Python's <c>encode("ascii", "backslashreplace")</c>.</summary>
    private static string BackslashReplace(string s)
    {
        var ascii = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c < 0x80)
            {
                ascii.Append(c);
                continue;
            }

            int code = char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? char.ConvertToUtf32(c, s[++i]) : c;
            ascii.Append(code switch
            {
                <= 0xFF => $"\\x{code:x2}",
                <= 0xFFFF => $"\\u{code:x4}",
                _ => $"\\U{code:x8}",
            });
        }

        return ascii.ToString();
    }
}
