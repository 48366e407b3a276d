using System.Globalization;
using System.Text;
using Transformer.ChatTemplates.Jinja.Runtime;

namespace Transformer.ChatTemplates.Jinja.Python;

/// <summary>
/// Python's two string formatting forms that templates reach: <c>"%s" % args</c> (also the <c>format</c>
/// filter) and <c>"{}".format(...)</c>. The conversions templates use are supported (%s %r %d %i %f %F %e
/// %E %x %X %o %c %% with flags, width and precision; {} {0} {name} with !s/!r); anything else is a clear error.
/// </summary>
internal static class PyFormat
{
    public static Value Percent(StringValue format, Value arguments)
    {
        IReadOnlyList<Value> positional = arguments is ListValue { IsTuple: true } tuple ? tuple.Items : [arguments];
        var mapping = arguments as DictValue;
        var text = new StringBuilder();
        int next = 0;
        string f = format.Value;
        for (int i = 0; i < f.Length; i++)
        {
            if (f[i] != '%')
            {
                text.Append(f[i]);
                continue;
            }

            if (++i >= f.Length) throw new TemplateError("incomplete format");
            Value? argument = null;
            if (f[i] == '(')
            {
                int close = f.IndexOf(')', i);
                if (close < 0) throw new TemplateError("incomplete format key");
                if (mapping is null) throw new TemplateError("format requires a mapping");
                string key = f[(i + 1)..close];
                argument = mapping.Items.TryGetValue(new StringValue(key), out Value? v) ? v : throw new TemplateError($"KeyError: '{key}'");
                i = close + 1;
            }

            string flags = "";
            while (i < f.Length && "-+ #0".Contains(f[i])) flags += f[i++];
            int width = ReadNumber(f, ref i);
            int precision = -1;
            if (i < f.Length && f[i] == '.')
            {
                i++;
                precision = Math.Max(0, ReadNumber(f, ref i));
            }

            if (i >= f.Length) throw new TemplateError("incomplete format");
            char type = f[i];
            if (type == '%')
            {
                text.Append('%');
                continue;
            }

            if (argument is null)
            {
                if (mapping is not null && positional.Count == 1 && positional[0] == mapping) argument = mapping;
                else if (next < positional.Count) argument = positional[next++];
                else throw new TemplateError("not enough arguments for format string");
            }

            string converted = Convert(type, argument, flags, precision);
            if (format.IsMarkup && type is 's' or 'r') converted = Markup.EscapeText(converted);
            text.Append(Pad(converted, width, flags, numeric: type is not ('s' or 'r' or 'c')));
        }

        if (mapping is null && next < positional.Count) throw new TemplateError("not all arguments converted during string formatting");
        return new StringValue(text.ToString(), format.IsMarkup);
    }

    private static int ReadNumber(string f, ref int i)
    {
        if (i < f.Length && f[i] == '*') throw new TemplateError("'*' widths are not supported in % formatting");
        int start = i;
        while (i < f.Length && char.IsAsciiDigit(f[i])) i++;
        return i > start ? int.Parse(f.AsSpan(start, i - start), CultureInfo.InvariantCulture) : -1;
    }

    private static string Convert(char type, Value argument, string flags, int precision)
    {
        switch (type)
        {
            case 's':
                string s = PyRepr.Str(argument);
                return precision >= 0 && precision < s.Length ? s[..precision] : s;
            case 'r':
            case 'a':
                string r = PyRepr.Repr(argument);
                return precision >= 0 && precision < r.Length ? r[..precision] : r;
            case 'c':
                return argument switch
                {
                    StringValue { Value.Length: 1 } c => c.Value,
                    IntValue i when i.Value is >= 0 and <= 0x10FFFF => char.ConvertFromUtf32((int)i.Value),
                    _ => throw new TemplateError("%c requires an int or a single character"),
                };
        }

        double number = argument switch
        {
            IntValue i => i.Value,
            BoolValue b => b.Value ? 1 : 0,
            FloatValue fl => fl.Value,
            _ => throw new TemplateError($"%{type} format: a real number is required, not {argument.TypeName}"),
        };
        bool integral = type is 'd' or 'i' or 'u' or 'x' or 'X' or 'o';
        if (integral) number = Math.Truncate(number);
        string sign = double.IsNegative(number) && !(integral && number == 0) ? "-"
            : flags.Contains('+') ? "+" : flags.Contains(' ') ? " " : "";
        double magnitude = Math.Abs(number);
        string body = type switch
        {
            'd' or 'i' or 'u' => magnitude.ToString("0", CultureInfo.InvariantCulture),
            'x' => ((long)magnitude).ToString("x", CultureInfo.InvariantCulture),
            'X' => ((long)magnitude).ToString("X", CultureInfo.InvariantCulture),
            'o' => System.Convert.ToString((long)magnitude, 8),
            'f' or 'F' => magnitude.ToString("F" + (precision < 0 ? 6 : precision).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
            'e' or 'E' => Exponent(magnitude, precision < 0 ? 6 : precision, type),
            _ => throw new TemplateError($"unsupported format character '{type}'"),
        };
        if (flags.Contains('#') && type is 'x' or 'X' or 'o') body = (type == 'o' ? "0o" : type == 'x' ? "0x" : "0X") + body;
        return sign + body;
    }

    private static string Exponent(double magnitude, int precision, char type)
    {
        string e = magnitude.ToString((type == 'e' ? "e" : "E") + precision.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        // .NET writes three exponent digits ("1.5e+003"); Python at least two ("1.5e+03").
        int at = e.IndexOfAny(['e', 'E']);
        string digits = e[(at + 2)..].TrimStart('0').PadLeft(2, '0');
        return e[..(at + 2)] + digits;
    }

    private static string Pad(string text, int width, string flags, bool numeric)
    {
        if (width <= text.Length) return text;
        if (flags.Contains('-')) return text.PadRight(width);
        if (numeric && flags.Contains('0'))
        {
            int signLength = text.Length > 0 && text[0] is '-' or '+' or ' ' ? 1 : 0;
            return text[..signLength] + text[signLength..].PadLeft(width - signLength, '0');
        }

        return text.PadLeft(width);
    }

    /// <summary><c>str.format(*args, **kwargs)</c> with plain, numbered and named fields and !s / !r conversions.</summary>
    public static Value Format(StringValue format, Arguments arguments)
    {
        var text = new StringBuilder();
        string f = format.Value;
        int automatic = 0;
        for (int i = 0; i < f.Length; i++)
        {
            char c = f[i];
            if (c == '}')
            {
                if (i + 1 < f.Length && f[i + 1] == '}') { text.Append('}'); i++; continue; }
                throw new TemplateError("Single '}' encountered in format string");
            }

            if (c != '{')
            {
                text.Append(c);
                continue;
            }

            if (i + 1 < f.Length && f[i + 1] == '{') { text.Append('{'); i++; continue; }
            int close = f.IndexOf('}', i);
            if (close < 0) throw new TemplateError("Single '{' encountered in format string");
            string field = f[(i + 1)..close];
            i = close;

            char conversion = 's';
            int bang = field.IndexOf('!');
            if (field.Contains(':')) throw new TemplateError($"format spec in '{{{field}}}' is not supported");
            if (bang >= 0)
            {
                conversion = bang + 1 < field.Length ? field[bang + 1] : ' ';
                if (conversion is not ('s' or 'r') || bang + 2 != field.Length) throw new TemplateError($"unsupported conversion in '{{{field}}}'");
                field = field[..bang];
            }

            Value value;
            if (field.Length == 0) value = Positional(arguments, automatic++);
            else if (int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out int index)) value = Positional(arguments, index);
            else value = arguments.Named.FirstOrDefault(p => p.Key == field).Value ?? throw new TemplateError($"KeyError: '{field}'");

            string piece = conversion == 'r' ? PyRepr.Repr(value) : PyRepr.Str(value);
            text.Append(format.IsMarkup ? Markup.EscapeText(piece) : piece);
        }

        return new StringValue(text.ToString(), format.IsMarkup);
    }

    private static Value Positional(Arguments arguments, int index) => index < arguments.Positional.Count
        ? arguments.Positional[index]
        : throw new TemplateError($"Replacement index {index} out of range for positional args tuple");
}
