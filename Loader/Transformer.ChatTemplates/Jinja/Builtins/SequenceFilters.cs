using Transformer.ChatTemplates.Jinja.Python;
using Transformer.ChatTemplates.Jinja.Runtime;

namespace Transformer.ChatTemplates.Jinja.Builtins;

/// <summary>The filters over sequences and mappings: length, first, last, join, select/reject(attr), map, sort, unique, items, dictsort, sum, min, max, reverse.</summary>
internal static partial class Filters
{
    private static Value Length(Interpreter _, Value value, Arguments arguments)
    {
        arguments.BindNone("length");
        return IntValue.Of(Iteration.Length(value));
    }

    private static Value First(Interpreter _, Value value, Arguments arguments)
    {
        arguments.BindNone("first");
        foreach (Value item in Iteration.Items(value)) return item;
        return new UndefinedValue("No first item, sequence was empty.");
    }

    private static Value Last(Interpreter _, Value value, Arguments arguments)
    {
        arguments.BindNone("last");
        if (value is GeneratorValue or UndefinedValue) throw new TemplateError($"'{value.TypeName}' object is not reversible");
        var items = Iteration.Items(value).ToList();
        return items.Count > 0 ? items[^1] : new UndefinedValue("No last item, sequence was empty.");
    }

    private static Value Items(Interpreter _, Value value, Arguments arguments)
    {
        arguments.BindNone("items");
        return value switch
        {
            UndefinedValue => new GeneratorValue([]),
            DictValue dict => new GeneratorValue(DictMethods.Items(dict, Arguments.None).Items),
            _ => throw new TemplateError("Can only get item pairs from a mapping."),
        };
    }

    private static Value Join(Interpreter _, Value value, Arguments arguments)
    {
        var bound = arguments.Bind("join", 0, "d", "attribute");
        string separator = bound[0] is null ? "" : PyRepr.Str(bound[0]!);
        IEnumerable<Value> items = Iteration.Items(value);
        if (bound[1] is { } attribute and not NoneValue)
        {
            var getter = AttributeGetter(attribute, null);
            items = items.Select(getter);
        }

        return new StringValue(string.Join(separator, items.Select(PyRepr.Str)));
    }

    private static Value Map(Interpreter interpreter, Value value, Arguments arguments)
    {
        Func<Value, Value> transform;
        if (arguments.Positional.Count == 0 && arguments.Named.Any(n => n.Key == "attribute"))
        {
            var bound = arguments.Bind("map", 0, "attribute", "default");
            transform = AttributeGetter(bound[0]!, bound[1] is NoneValue ? null : bound[1]);
        }
        else
        {
            if (arguments.Positional.Count == 0) throw new TemplateError("map requires a filter argument");
            string name = PyRepr.Str(arguments.Positional[0]);
            var rest = new Arguments([.. arguments.Positional.Skip(1)], arguments.Named);
            transform = item => Apply(interpreter, name, item, rest);
        }

        return new GeneratorValue(Iteration.Items(value).Select(transform));
    }

    /// <summary>select, reject, selectattr, rejectattr: keep the items whose test (or truth) holds, or fails.</summary>
    private static Value SelectOrReject(Interpreter interpreter, Value value, Arguments arguments, bool keep, bool byAttribute)
    {
        var positional = arguments.Positional;
        int offset = 0;
        Func<Value, Value> pick = x => x;
        if (byAttribute)
        {
            if (positional.Count == 0) throw new TemplateError("Missing parameter for attribute name");
            pick = AttributeGetter(positional[0], null);
            offset = 1;
        }

        Func<Value, bool> test;
        if (positional.Count > offset)
        {
            string name = PyRepr.Str(positional[offset]);
            var rest = new Arguments([.. positional.Skip(offset + 1)], arguments.Named);
            test = item => Tests.Apply(interpreter, name, item, rest);
        }
        else
        {
            test = Operators.IsTrue;
        }

        // Jinja2 checks the sequence's truth first: an empty or undefined one yields nothing without a lookup.
        IEnumerable<Value> Run()
        {
            if (!Operators.IsTrue(value)) yield break;
            foreach (Value item in Iteration.Items(value))
            {
                if (test(pick(item)) == keep) yield return item;
            }
        }

        return new GeneratorValue(Run());
    }

    /// <summary>
    /// Jinja2's make_attrgetter: "a.b.0" looks up a, then b, then item 0, each as <c>x[part]</c> (item first);
    /// with a default, an undefined step is replaced by it.
    /// </summary>
    private static Func<Value, Value> AttributeGetter(Value attribute, Value? fallback)
    {
        Value[] parts = attribute is StringValue s
            ? [.. s.Value.Split('.').Select(p => p.Length > 0 && p.All(char.IsAsciiDigit) ? (Value)IntValue.Of(long.Parse(p, System.Globalization.CultureInfo.InvariantCulture)) : new StringValue(p))]
            : [attribute];
        return item =>
        {
            foreach (Value part in parts)
            {
                item = Attributes.GetItem(item, part);
                if (fallback is not null && item is UndefinedValue) item = fallback;
            }

            return item;
        };
    }

    /// <summary>What sort, unique, min and max compare: the attribute's value, lower-cased unless case-sensitive.</summary>
    private static Func<Value, Value> SortKey(Value? attribute, bool caseSensitive)
    {
        var parts = attribute is null or NoneValue
            ? [x => x]
            : PyRepr.Str(attribute).Split(',').Select(a => AttributeGetter(new StringValue(a), null)).ToArray();
        Value Fold(Value v) => !caseSensitive && v is StringValue s ? new StringValue(PyText.Lower(s.Value)) : v;
        if (parts.Length == 1) return item => Fold(parts[0](item));
        return item => new ListValue([.. parts.Select(p => Fold(p(item)))]);
    }

    private static Value Sort(Interpreter _, Value value, Arguments arguments)
    {
        var bound = arguments.Bind("sort", 0, "reverse", "case_sensitive", "attribute");
        bool reverse = bound[0] is { } r && Operators.IsTrue(r);
        var key = SortKey(bound[2], bound[1] is { } c && Operators.IsTrue(c));
        var items = Iteration.Items(value).Select(item => (Key: key(item), Item: item)).ToList();
        // Python's sort is stable, also when reversed (equal items keep their order).
        return new ListValue([.. Operators.SortStable(items, p => p.Key, reverse).Select(p => p.Item)]);
    }

    private static Value DictSort(Interpreter _, Value value, Arguments arguments)
    {
        var bound = arguments.Bind("dictsort", 0, "case_sensitive", "by", "reverse");
        if (value is not DictValue dict) throw new TemplateError("dictsort expects a mapping");
        bool caseSensitive = bound[0] is { } c && Operators.IsTrue(c);
        string by = bound[1] is null ? "key" : PyRepr.Str(bound[1]!);
        if (by is not ("key" or "value")) throw new TemplateError("You can only sort by either \"key\" or \"value\"");
        bool reverse = bound[2] is { } r && Operators.IsTrue(r);
        var fold = SortKey(null, caseSensitive);
        var pairs = DictMethods.Items(dict, Arguments.None).Items.Cast<ListValue>();
        return new ListValue([.. Operators.SortStable(pairs, p => fold(p.Items[by == "key" ? 0 : 1]), reverse)]);
    }

    private static Value Unique(Interpreter _, Value value, Arguments arguments)
    {
        var bound = arguments.Bind("unique", 0, "case_sensitive", "attribute");
        var key = SortKey(bound[1], bound[0] is { } c && Operators.IsTrue(c));
        IEnumerable<Value> Run()
        {
            var seen = new HashSet<Value>(ValueKeyComparer.Instance);
            foreach (Value item in Iteration.Items(value))
            {
                if (seen.Add(Operators.Hashable(key(item)))) yield return item;
            }
        }

        return new GeneratorValue(Run());
    }

    private static Value MinOrMax(Value value, Arguments arguments, string name, bool wantMax)
    {
        var bound = arguments.Bind(name, 0, "case_sensitive", "attribute");
        var key = SortKey(bound[1], bound[0] is { } c && Operators.IsTrue(c));
        Value? best = null, bestKey = null;
        foreach (Value item in Iteration.Items(value))
        {
            Value k = key(item);
            if (best is null || (wantMax ? Operators.Compare(k, bestKey!, ">") > 0 : Operators.Compare(k, bestKey!, "<") < 0))
            {
                (best, bestKey) = (item, k);
            }
        }

        return best ?? new UndefinedValue($"No aggregated item, sequence was empty.");
    }

    private static Value Sum(Interpreter _, Value value, Arguments arguments)
    {
        var bound = arguments.Bind("sum", 0, "attribute", "start");
        IEnumerable<Value> items = Iteration.Items(value);
        if (bound[0] is { } attribute and not NoneValue) items = items.Select(AttributeGetter(attribute, null));
        Value total = bound[1] ?? IntValue.Of(0);
        foreach (Value item in items) total = Operators.Add(total, item);
        return total;
    }

    private static Value Reverse(Interpreter _, Value value, Arguments arguments)
    {
        arguments.BindNone("reverse");
        return value switch
        {
            StringValue s => new StringValue(string.Concat(PyText.CodePoints(s.Value).Reverse()), s.IsMarkup),
            _ => new GeneratorValue(Iteration.Items(value).Reverse().ToList()),
        };
    }
}
