using System.Globalization;
using System.Text;
using Transformer.ChatTemplates.Jinja.Python;
using Transformer.ChatTemplates.Jinja.Runtime;

namespace Transformer.ChatTemplates.Jinja.Builtins;

/// <summary>
/// The Python <c>str</c> methods templates call (<c>content.strip()</c>, <c>.split('&lt;/think&gt;')</c>,
/// <c>.startswith(...)</c>, …), with Python's semantics. A method of a Markup string returns Markup and
/// escapes what it is given, as markupsafe's does.
/// </summary>
internal static class StringMethods
{
    private delegate Value Method(StringValue self, Arguments arguments);

    private static readonly Dictionary<string, Method> Methods = new(StringComparer.Ordinal)
    {
        ["strip"] = (s, a) => Same(s, PyText.Strip(s.Value, Chars(a, "strip"))),
        ["lstrip"] = (s, a) => Same(s, PyText.LStrip(s.Value, Chars(a, "lstrip"))),
        ["rstrip"] = (s, a) => Same(s, PyText.RStrip(s.Value, Chars(a, "rstrip"))),
        ["upper"] = (s, a) => NoArguments(a, "upper", () => Same(s, PyText.Upper(s.Value))),
        ["lower"] = (s, a) => NoArguments(a, "lower", () => Same(s, PyText.Lower(s.Value))),
        ["title"] = (s, a) => NoArguments(a, "title", () => Same(s, PyText.Title(s.Value))),
        ["capitalize"] = (s, a) => NoArguments(a, "capitalize", () => Same(s, PyText.Capitalize(s.Value))),
        ["startswith"] = (s, a) => Affix(s, a, "startswith", (text, affix) => text.StartsWith(affix, StringComparison.Ordinal)),
        ["endswith"] = (s, a) => Affix(s, a, "endswith", (text, affix) => text.EndsWith(affix, StringComparison.Ordinal)),
        ["split"] = (s, a) => Split(s, a, "split", PyText.Split),
        ["rsplit"] = (s, a) => Split(s, a, "rsplit", PyText.RSplit),
        ["splitlines"] = (s, a) => NoArguments(a, "splitlines", () => new ListValue([.. PyText.SplitLines(s.Value).Select(l => Same(s, l))])),
        ["replace"] = Replace,
        ["find"] = (s, a) => IntValue.Of(Find(s, a, "find", last: false)),
        ["rfind"] = (s, a) => IntValue.Of(Find(s, a, "rfind", last: true)),
        ["index"] = (s, a) => IntValue.Of(Found(Find(s, a, "index", last: false))),
        ["rindex"] = (s, a) => IntValue.Of(Found(Find(s, a, "rindex", last: true))),
        ["count"] = Count,
        ["join"] = Join,
        ["format"] = (s, a) => PyFormat.Format(s, a),
        ["removeprefix"] = RemovePrefix,
        ["removesuffix"] = RemoveSuffix,
        ["isdigit"] = (s, a) => Predicate(s, a, "isdigit", c => char.IsDigit(c)),
        ["isdecimal"] = (s, a) => Predicate(s, a, "isdecimal", c => CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.DecimalDigitNumber),
        ["isnumeric"] = (s, a) => Predicate(s, a, "isnumeric", char.IsNumber),
        ["isalpha"] = (s, a) => Predicate(s, a, "isalpha", char.IsLetter),
        ["isalnum"] = (s, a) => Predicate(s, a, "isalnum", char.IsLetterOrDigit),
        ["isspace"] = (s, a) => Predicate(s, a, "isspace", PyText.IsSpace),
        ["isupper"] = (s, a) => NoArguments(a, "isupper", () => BoolValue.Of(s.Value.Any(char.IsUpper) && !s.Value.Any(char.IsLower))),
        ["islower"] = (s, a) => NoArguments(a, "islower", () => BoolValue.Of(s.Value.Any(char.IsLower) && !s.Value.Any(char.IsUpper))),
    };

    public static BoundMethod? Find(StringValue target, string name) =>
        Methods.TryGetValue(name, out Method? method) ? new BoundMethod(target, name, a => method(target, a)) : null;

    private static StringValue Same(StringValue self, string text) => new(text, self.IsMarkup);

    private static Value NoArguments(Arguments arguments, string name, Func<Value> body)
    {
        arguments.BindNone(name);
        return body();
    }

    private static string? Chars(Arguments arguments, string name) => arguments.Bind(name, 0, "chars")[0] switch
    {
        null or NoneValue => null,
        StringValue s => s.Value,
        var other => throw new TemplateError($"{name} arg must be None or str, not {other.TypeName}"),
    };

    public static string Text(Value value, string function) => value is StringValue s
        ? s.Value
        : throw new TemplateError($"{function}() argument must be str, not {value.TypeName}");

    private static int Integer(Value? value, string function, int fallback) => value switch
    {
        null or NoneValue => fallback,
        IntValue i => (int)Math.Clamp(i.Value, int.MinValue, int.MaxValue),
        BoolValue b => b.Value ? 1 : 0,
        _ => throw new TemplateError($"{function}() expected an integer, not {value.TypeName}"),
    };

    private static Value Affix(StringValue self, Arguments arguments, string name, Func<string, string, bool> test)
    {
        var bound = arguments.Bind(name, 1, "prefix", "start", "end");
        string text = Window(self.Value, bound[1], bound[2], name);
        IEnumerable<Value> affixes = bound[0] is ListValue { IsTuple: true } tuple ? tuple.Items : [bound[0]!];
        foreach (Value affix in affixes)
        {
            if (affix is not StringValue a) throw new TemplateError($"{name} first arg must be str or a tuple of str, not {affix.TypeName}");
            if (test(text, a.Value)) return BoolValue.True;
        }

        return BoolValue.False;
    }

    /// <summary>The part of <paramref name="text"/> between Python-style start and end indexes.</summary>
    private static string Window(string text, Value? start, Value? end, string function)
    {
        if (start is null or NoneValue && end is null or NoneValue) return text;
        string[] characters = PyText.CodePoints(text);
        int n = characters.Length;
        int Normalize(int i) => Math.Clamp(i < 0 ? i + n : i, 0, n);
        int from = Normalize(Integer(start, function, 0));
        int to = Normalize(Integer(end, function, n));
        return from >= to ? "" : string.Concat(characters[from..to]);
    }

    private static Value Split(StringValue self, Arguments arguments, string name, Func<string, string?, int, List<string>> split)
    {
        var bound = arguments.Bind(name, 0, "sep", "maxsplit");
        string? separator = bound[0] is null or NoneValue ? null : Text(bound[0]!, name);
        int maxSplit = Integer(bound[1], name, -1);
        return new ListValue([.. split(self.Value, separator, maxSplit).Select(part => Same(self, part))]);
    }

    private static Value Replace(StringValue self, Arguments arguments)
    {
        var bound = arguments.Bind("replace", 2, "old", "new", "count");
        string old = Text(bound[0]!, "replace");
        string replacement = bound[1] is StringValue r ? (self.IsMarkup ? Markup.Escape(r) : r.Value) : Text(bound[1]!, "replace");
        int count = Integer(bound[2], "replace", -1);
        return Same(self, ReplaceText(self.Value, old, replacement, count));
    }

    /// <summary>Python's str.replace, including an empty <paramref name="old"/> (inserted between every character).</summary>
    public static string ReplaceText(string text, string old, string replacement, int count)
    {
        if (count < 0 && old.Length > 0) return text.Replace(old, replacement, StringComparison.Ordinal);
        var result = new StringBuilder();
        int done = 0;
        if (old.Length == 0)
        {
            string[] characters = PyText.CodePoints(text);
            for (int i = 0; i <= characters.Length; i++)
            {
                if (count < 0 || done < count)
                {
                    result.Append(replacement);
                    done++;
                }

                if (i < characters.Length) result.Append(characters[i]);
            }

            return result.ToString();
        }

        int from = 0;
        while (done < count)
        {
            int at = text.IndexOf(old, from, StringComparison.Ordinal);
            if (at < 0) break;
            result.Append(text, from, at - from).Append(replacement);
            from = at + old.Length;
            done++;
        }

        return result.Append(text, from, text.Length - from).ToString();
    }

    private static int Find(StringValue self, Arguments arguments, string name, bool last)
    {
        var bound = arguments.Bind(name, 1, "sub", "start", "end");
        string sub = Text(bound[0]!, name);
        if (bound[1] is not (null or NoneValue) || bound[2] is not (null or NoneValue))
        {
            throw new TemplateError($"{name}() with start or end is not supported");
        }

        int at = last ? self.Value.LastIndexOf(sub, StringComparison.Ordinal) : self.Value.IndexOf(sub, StringComparison.Ordinal);
        return at < 0 ? -1 : PyText.Length(self.Value[..at]);
    }

    private static int Found(int index) => index >= 0 ? index : throw new TemplateError("substring not found");

    private static Value Count(StringValue self, Arguments arguments)
    {
        var bound = arguments.Bind("count", 1, "sub", "start", "end");
        string text = Window(self.Value, bound[1], bound[2], "count");
        string sub = Text(bound[0]!, "count");
        if (sub.Length == 0) return IntValue.Of(PyText.Length(text) + 1);
        int count = 0;
        for (int at = text.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = text.IndexOf(sub, at + sub.Length, StringComparison.Ordinal)) count++;
        return IntValue.Of(count);
    }

    private static Value Join(StringValue self, Arguments arguments)
    {
        Value iterable = arguments.Bind("join", 1, "iterable")[0]!;
        var parts = new List<string>();
        foreach (Value item in Iteration.Items(iterable))
        {
            if (item is not StringValue s) throw new TemplateError($"sequence item {parts.Count}: expected str instance, {item.TypeName} found");
            parts.Add(self.IsMarkup ? Markup.Escape(s) : s.Value);
        }

        return Same(self, string.Join(self.Value, parts));
    }

    private static Value RemovePrefix(StringValue self, Arguments arguments)
    {
        string prefix = Text(arguments.Bind("removeprefix", 1, "prefix")[0]!, "removeprefix");
        return Same(self, self.Value.StartsWith(prefix, StringComparison.Ordinal) ? self.Value[prefix.Length..] : self.Value);
    }

    private static Value RemoveSuffix(StringValue self, Arguments arguments)
    {
        string suffix = Text(arguments.Bind("removesuffix", 1, "suffix")[0]!, "removesuffix");
        return Same(self, suffix.Length > 0 && self.Value.EndsWith(suffix, StringComparison.Ordinal) ? self.Value[..^suffix.Length] : self.Value);
    }

    private static Value Predicate(StringValue self, Arguments arguments, string name, Func<char, bool> test)
    {
        arguments.BindNone(name);
        return BoolValue.Of(self.Value.Length > 0 && self.Value.All(test));
    }
}
