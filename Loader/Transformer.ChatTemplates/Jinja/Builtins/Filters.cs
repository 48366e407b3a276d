using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;
using Transformer.ChatTemplates.Jinja.Python;
using Transformer.ChatTemplates.Jinja.Runtime;

namespace Transformer.ChatTemplates.Jinja.Builtins;

/// <summary>A filter: <c>input | name(arguments)</c>.</summary>
internal delegate Value Filter(Interpreter interpreter, Value input, Arguments arguments);

/// <summary>
/// Jinja2's built-in filters that chat templates use, each with Jinja2's semantics (and its quirks: <c>select</c>,
/// <c>map</c>, <c>unique</c> and <c>reverse</c> of a list return one-shot generators, <c>first</c> of an empty
/// sequence is undefined), plus Hugging Face's <c>tojson</c>, which is plain <c>json.dumps</c> keeping
/// non-ASCII text. String filters here; the sequence filters in the other part of this class.
/// </summary>
internal static partial class Filters
{
    private static readonly Dictionary<string, Filter> Registry = new(StringComparer.Ordinal)
    {
        ["abs"] = Abs,
        ["capitalize"] = (_, v, a) => StringFilter(v, a, "capitalize", PyText.Capitalize, keepsMarkup: true),
        ["center"] = Center,
        ["count"] = Length,
        ["d"] = Default,
        ["default"] = Default,
        ["dictsort"] = DictSort,
        ["e"] = Escape,
        ["escape"] = Escape,
        ["first"] = First,
        ["float"] = ToFloat,
        ["format"] = Format,
        ["indent"] = Indent,
        ["int"] = ToInt,
        ["items"] = Items,
        ["join"] = Join,
        ["last"] = Last,
        ["length"] = Length,
        ["list"] = (_, v, a) => NoArguments(a, "list", () => new ListValue([.. Iteration.Items(v)])),
        ["lower"] = (_, v, a) => StringFilter(v, a, "lower", PyText.Lower, keepsMarkup: true),
        ["map"] = Map,
        ["max"] = (i, v, a) => MinOrMax(v, a, "max", wantMax: true),
        ["min"] = (i, v, a) => MinOrMax(v, a, "min", wantMax: false),
        ["reject"] = (i, v, a) => SelectOrReject(i, v, a, keep: false, byAttribute: false),
        ["rejectattr"] = (i, v, a) => SelectOrReject(i, v, a, keep: false, byAttribute: true),
        ["replace"] = Replace,
        ["reverse"] = Reverse,
        ["safe"] = (_, v, a) => NoArguments(a, "safe", () => v is StringValue { IsMarkup: true } ? v : new StringValue(PyRepr.Str(v), isMarkup: true)),
        ["select"] = (i, v, a) => SelectOrReject(i, v, a, keep: true, byAttribute: false),
        ["selectattr"] = (i, v, a) => SelectOrReject(i, v, a, keep: true, byAttribute: true),
        ["sort"] = Sort,
        ["string"] = (_, v, a) => NoArguments(a, "string", () => v is StringValue ? v : new StringValue(PyRepr.Str(v))),
        ["sum"] = Sum,
        ["title"] = Title,
        ["tojson"] = ToJson,
        ["trim"] = Trim,
        ["unique"] = Unique,
        ["upper"] = (_, v, a) => StringFilter(v, a, "upper", PyText.Upper, keepsMarkup: true),
        ["wordcount"] = (_, v, a) => NoArguments(a, "wordcount", () => IntValue.Of(WordPattern().Matches(PyRepr.Str(v)).Count)),
    };

    public static bool TryGet(string name, [NotNullWhen(true)] out Filter? filter) => Registry.TryGetValue(name, out filter);

    /// <summary>Runs a filter by name, as <c>map('upper')</c> does; an unknown name fails at render time there.</summary>
    public static Value Apply(Interpreter interpreter, string name, Value input, Arguments arguments) =>
        TryGet(name, out Filter? filter) ? filter(interpreter, input, arguments) : throw new TemplateError($"No filter named '{name}'.");

    private static Value NoArguments(Arguments arguments, string name, Func<Value> body)
    {
        arguments.BindNone(name);
        return body();
    }

    /// <summary>str(value) through <paramref name="transform"/>; Markup in, Markup out where markupsafe's method keeps it.</summary>
    private static Value StringFilter(Value value, Arguments arguments, string name, Func<string, string> transform, bool keepsMarkup)
    {
        arguments.BindNone(name);
        return new StringValue(transform(PyRepr.Str(value)), keepsMarkup && value is StringValue { IsMarkup: true });
    }

    private static Value Abs(Interpreter _, Value value, Arguments arguments)
    {
        arguments.BindNone("abs");
        return value switch
        {
            IntValue i => IntValue.Of(Math.Abs(i.Value)),
            BoolValue b => IntValue.Of(b.Value ? 1 : 0),
            FloatValue f => new FloatValue(Math.Abs(f.Value)),
            _ => throw new TemplateError($"bad operand type for abs(): '{value.TypeName}'"),
        };
    }

    private static Value Center(Interpreter _, Value value, Arguments arguments)
    {
        var bound = arguments.Bind("center", 0, "width");
        string text = PyRepr.Str(value);
        int width = bound[0] is IntValue w ? (int)Math.Min(w.Value, 1 << 20) : 80;
        if (width <= PyText.Length(text)) return new StringValue(text);
        // Python's str.center puts the extra space on the right when the padding is odd and the text even.
        int padding = width - PyText.Length(text);
        int left = padding / 2 + (padding & width & 1);
        return new StringValue(new string(' ', left) + text + new string(' ', padding - left));
    }

    private static Value Default(Interpreter _, Value value, Arguments arguments)
    {
        var bound = arguments.Bind("default", 0, "default_value", "boolean");
        Value fallback = bound[0] ?? StringValue.Empty;
        bool boolean = bound[1] is { } b && Operators.IsTrue(b);
        return value is UndefinedValue || (boolean && !Operators.IsTrue(value)) ? fallback : value;
    }

    private static Value Escape(Interpreter _, Value value, Arguments arguments)
    {
        arguments.BindNone("escape");
        return value is StringValue { IsMarkup: true } ? value : new StringValue(Markup.EscapeText(PyRepr.Str(value)), isMarkup: true);
    }

    private static Value ToFloat(Interpreter _, Value value, Arguments arguments)
    {
        var bound = arguments.Bind("float", 0, "default");
        Value fallback = bound[0] ?? new FloatValue(0);
        return value switch
        {
            FloatValue => value,
            IntValue i => new FloatValue(i.Value),
            BoolValue b => new FloatValue(b.Value ? 1 : 0),
            StringValue s when TryParseFloat(s.Value, out double d) => new FloatValue(d),
            _ => fallback,
        };
    }

    /// <summary>Python's float(text): surrounding whitespace, a sign, underscores between digits, inf/infinity/nan in any case.</summary>
    private static bool TryParseFloat(string text, out double value)
    {
        string s = PyText.Strip(text, null);
        string body = s.Length > 0 && s[0] is '+' or '-' ? s[1..] : s;
        switch (body.ToLowerInvariant())
        {
            case "inf" or "infinity":
                value = s.StartsWith('-') ? double.NegativeInfinity : double.PositiveInfinity;
                return true;
            case "nan":
                value = double.NaN;
                return true;
        }

        value = 0;
        if (body.Length == 0 || !body.All(c => char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-' or '_') || !UnderscoresBetweenDigits(body)) return false;
        return double.TryParse(s.Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    private static bool UnderscoresBetweenDigits(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '_' && (i == 0 || i == s.Length - 1 || !char.IsAsciiDigit(s[i - 1]) || !char.IsAsciiDigit(s[i + 1]))) return false;
        }

        return true;
    }

    private static Value ToInt(Interpreter _, Value value, Arguments arguments)
    {
        var bound = arguments.Bind("int", 0, "default", "base");
        Value fallback = bound[0] ?? IntValue.Of(0);
        int radix = bound[1] is IntValue r ? (int)r.Value : 10;
        switch (value)
        {
            case IntValue: return value;
            case BoolValue b: return IntValue.Of(b.Value ? 1 : 0);
            case FloatValue f: return Truncate(f.Value, fallback);
            case StringValue s:
                if (TryParseInteger(s.Value, radix, out long parsed)) return IntValue.Of(parsed);
                // Jinja2's quirk: "42.23"|int is 42, through float().
                return TryParseFloat(s.Value, out double d) ? Truncate(d, fallback) : fallback;
            default: return fallback;
        }
    }

    /// <summary>Python's int(float): NaN is a ValueError (the default), infinity an OverflowError, which Jinja2 does not catch.</summary>
    private static Value Truncate(double value, Value fallback)
    {
        if (double.IsNaN(value)) return fallback;
        if (double.IsInfinity(value)) throw new TemplateError("cannot convert float infinity to integer");
        if (Math.Abs(value) >= 9.2233720368547758E18) throw new TemplateError("integer result does not fit in 64 bits");
        return IntValue.Of((long)Math.Truncate(value));
    }

    /// <summary>Python's int(text, base): optional sign and 0b/0o/0x prefix (when the base allows it), underscores between digits.</summary>
    private static bool TryParseInteger(string text, int radix, out long value)
    {
        value = 0;
        string s = PyText.Strip(text, null);
        if (!UnderscoresBetweenDigits(s.TrimStart('+', '-'))) return false;
        s = s.Replace("_", "", StringComparison.Ordinal);
        bool negative = s.StartsWith('-');
        if (s.StartsWith('-') || s.StartsWith('+')) s = s[1..];
        char prefix = s.Length > 2 && s[0] == '0' ? char.ToLowerInvariant(s[1]) : '\0';
        int prefixRadix = prefix switch { 'x' => 16, 'o' => 8, 'b' => 2, _ => 0 };
        if (radix == 0)
        {
            // Base 0 reads the prefix, as Python's int(text, 0); a decimal may then not start with 0.
            radix = prefixRadix == 0 ? 10 : prefixRadix;
            if (prefixRadix == 0 && s.Length > 1 && s[0] == '0' && s.Any(c => c != '0')) return false;
        }

        if (prefixRadix != 0 && prefixRadix == radix) s = s[2..];

        if (s.Length == 0 || radix is < 2 or > 36) return false;
        try
        {
            foreach (char c in s)
            {
                int digit = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetter(c) ? char.ToLowerInvariant(c) - 'a' + 10 : 99;
                if (digit >= radix) return false;
                value = checked(value * radix + digit);
            }
        }
        catch (OverflowException)
        {
            return false;
        }

        if (negative) value = -value;
        return true;
    }

    private static Value Format(Interpreter _, Value value, Arguments arguments)
    {
        if (arguments.Positional.Count > 0 && arguments.Named.Count > 0)
        {
            throw new TemplateError("can't handle positional and keyword arguments at the same time");
        }

        Value formatArguments = arguments.Named.Count > 0
            ? DictValue.FromStrings(arguments.Named)
            : new ListValue(arguments.Positional, isTuple: true);
        var format = value as StringValue ?? new StringValue(PyRepr.Str(value));
        return PyFormat.Percent(format, formatArguments);
    }

    private static Value Indent(Interpreter _, Value value, Arguments arguments)
    {
        var bound = arguments.Bind("indent", 0, "width", "first", "blank");
        string indentation = bound[0] switch
        {
            null => "    ",
            StringValue s => s.Value,
            IntValue i => new string(' ', (int)Math.Clamp(i.Value, 0, 1 << 16)),
            var other => throw new TemplateError($"indent width must be an int or a str, not {other.TypeName}"),
        };
        bool first = bound[1] is { } f && Operators.IsTrue(f);
        bool blank = bound[2] is { } b && Operators.IsTrue(b);

        // Jinja2 appends a newline before splitting, so a trailing newline leaves no indented empty line.
        var lines = PyText.SplitLines(PyRepr.Str(value) + "\n");
        string result;
        if (blank)
        {
            result = string.Join("\n" + indentation, lines);
        }
        else
        {
            result = lines[0];
            if (lines.Count > 1) result += "\n" + string.Join("\n", lines.Skip(1).Select(line => line.Length > 0 ? indentation + line : line));
        }

        if (first) result = indentation + result;
        return new StringValue(result, value is StringValue { IsMarkup: true });
    }

    private static Value Replace(Interpreter _, Value value, Arguments arguments)
    {
        var bound = arguments.Bind("replace", 2, "old", "new", "count");
        int count = bound[2] is IntValue c ? (int)Math.Clamp(c.Value, -1, int.MaxValue) : -1;
        return new StringValue(StringMethods.ReplaceText(PyRepr.Str(value), PyRepr.Str(bound[0]!), PyRepr.Str(bound[1]!), count));
    }

    private static Value Title(Interpreter _, Value value, Arguments arguments)
    {
        arguments.BindNone("title");
        // Jinja2's own title: words begin after "-", whitespace or an opening bracket, not Python's str.title.
        var parts = WordBeginning().Split(PyRepr.Str(value)).Where(p => p.Length > 0);
        return new StringValue(string.Concat(parts.Select(word =>
        {
            string first = PyText.CodePoints(word)[0];
            return PyText.Upper(first) + PyText.Lower(word[first.Length..]);
        })));
    }

    private static Value Trim(Interpreter _, Value value, Arguments arguments)
    {
        var bound = arguments.Bind("trim", 0, "chars");
        string? chars = bound[0] is null or NoneValue ? null : StringMethods.Text(bound[0]!, "trim");
        return new StringValue(PyText.Strip(PyRepr.Str(value), chars), value is StringValue { IsMarkup: true });
    }

    /// <summary>
    /// Hugging Face's tojson: <c>json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)</c>,
    /// not Jinja2's HTML-escaping one.
    /// </summary>
    private static Value ToJson(Interpreter _, Value value, Arguments arguments)
    {
        var bound = arguments.Bind("tojson", 0, "ensure_ascii", "indent", "separators", "sort_keys");
        bool ensureAscii = bound[0] is { } e && Operators.IsTrue(e);
        string? indent = bound[1] switch
        {
            null or NoneValue => null,
            IntValue i => new string(' ', (int)Math.Clamp(i.Value, 0, 1 << 10)),
            StringValue s => s.Value,
            var other => throw new TemplateError($"tojson indent must be an int or a str, not {other.TypeName}"),
        };
        string? itemSeparator = null, keySeparator = null;
        if (bound[2] is ListValue { Items: [StringValue item, StringValue key] })
        {
            (itemSeparator, keySeparator) = (item.Value, key.Value);
        }
        else if (bound[2] is not (null or NoneValue))
        {
            throw new TemplateError("tojson separators must be a pair of strings");
        }

        bool sortKeys = bound[3] is { } sort && Operators.IsTrue(sort);
        return new StringValue(PyJson.Dumps(value, indent, itemSeparator, keySeparator, sortKeys, ensureAscii));
    }

    [GeneratedRegex(@"\w+")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"([-\s({\[<]+)")]
    private static partial Regex WordBeginning();
}
