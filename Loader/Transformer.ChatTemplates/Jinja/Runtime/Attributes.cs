using Transformer.ChatTemplates.Jinja.Builtins;
using Transformer.ChatTemplates.Jinja.Python;

namespace Transformer.ChatTemplates.Jinja.Runtime;

/// <summary>
/// Jinja2's two lookups, as its sandbox does them: <c>x.name</c> tries the Python attribute (a str or dict
/// method) before the item, <c>x[key]</c> the item before the attribute. A miss is an Undefined carrying
/// Jinja2's message ("'dict object' has no attribute 'name'"), which only fails when used; methods that
/// would mutate a list or dict are refused, as by the immutable sandbox.
/// </summary>
internal static class Attributes
{
    public static Value GetAttribute(Value target, string name)
    {
        switch (target)
        {
            case UndefinedValue undefined:
                throw undefined.Error();
            case DictValue dict:
                return DictMethods.Find(dict, name)
                    ?? (dict.Items.TryGetValue(new StringValue(name), out Value? item) ? item : Missing(target, name));
            default:
                return AttributeOnly(target, name) ?? Missing(target, name);
        }
    }

    public static Value GetItem(Value target, Value key)
    {
        switch (target)
        {
            case UndefinedValue undefined:
                throw undefined.Error();
            case DictValue dict when key is not (ListValue { IsTuple: false } or DictValue or NamespaceValue):
                if (dict.Items.TryGetValue(key, out Value? item)) return item;
                break;
            case ListValue list when IndexOf(key) is long index:
                long position = index < 0 ? index + list.Items.Count : index;
                if (position >= 0 && position < list.Items.Count) return list.Items[(int)position];
                return Missing(target, key);
            case StringValue s when IndexOf(key) is long index:
                string[] characters = PyText.CodePoints(s.Value);
                long at = index < 0 ? index + characters.Length : index;
                if (at >= 0 && at < characters.Length) return new StringValue(characters[at], s.IsMarkup);
                return Missing(target, key);
        }

        if (key is StringValue name)
        {
            Value? attribute = target is DictValue d ? DictMethods.Find(d, name.Value) : AttributeOnly(target, name.Value);
            if (attribute is not null) return attribute;
        }

        return Missing(target, key);
    }

    /// <summary>An attribute other than a dict key: methods of str, dict and list, namespace and loop attributes.</summary>
    private static Value? AttributeOnly(Value target, string name) => target switch
    {
        StringValue s => StringMethods.Find(s, name),
        ListValue list => ListMethods.Find(list, name),
        NamespaceValue ns => ns.Attributes.TryGetValue(name, out Value? value) ? value : null,
        LoopValue loop => loop.GetAttribute(name),
        _ => null,
    };

    private static long? IndexOf(Value key) => key switch
    {
        IntValue i => i.Value,
        BoolValue b => b.Value ? 1 : 0,
        _ => null,
    };

    private static UndefinedValue Missing(Value target, string name) => new($"'{Describe(target)}' has no attribute '{name}'");

    private static UndefinedValue Missing(Value target, Value key) => key is StringValue name
        ? Missing(target, name.Value)
        : new UndefinedValue($"{Describe(target)} has no element {PyRepr.Repr(key)}");

    /// <summary>Jinja2's object_type_repr: "dict object", "None", "str object".</summary>
    private static string Describe(Value target) => target switch
    {
        NoneValue => "None",
        NamespaceValue => "jinja2.utils.Namespace object",
        _ => $"{target.TypeName} object",
    };

    /// <summary><c>x[start:stop:step]</c> on a list, tuple or str with Python's index rules; other targets give Undefined.</summary>
    public static Value Slice(Value target, Value? start, Value? stop, Value? step)
    {
        if (target is UndefinedValue undefined) throw undefined.Error();
        long? Bound(Value? v) => v is null or NoneValue ? null : IndexOf(v) ?? throw new TemplateError("slice indices must be integers or None or have an __index__ method");

        int length = target switch
        {
            ListValue list => list.Items.Count,
            StringValue s => PyText.Length(s.Value),
            _ => -1,
        };
        if (length < 0) return new UndefinedValue($"{Describe(target)} has no element slice({PyRepr.Repr(start ?? NoneValue.Instance)}, {PyRepr.Repr(stop ?? NoneValue.Instance)}, {PyRepr.Repr(step ?? NoneValue.Instance)})");

        long stride = Bound(step) ?? 1;
        if (stride == 0) throw new TemplateError("slice step cannot be zero");
        var indexes = SliceIndexes(length, Bound(start), Bound(stop), stride);
        switch (target)
        {
            case ListValue list:
                return new ListValue([.. indexes.Select(i => list.Items[i])], list.IsTuple);
            default:
                var s = (StringValue)target;
                if (PyText.IsBmpOnly(s.Value)) return new StringValue(string.Concat(indexes.Select(i => s.Value[i])), s.IsMarkup);
                string[] characters = PyText.CodePoints(s.Value);
                return new StringValue(string.Concat(indexes.Select(i => characters[i])), s.IsMarkup);
        }
    }

    /// <summary>Python's slice.indices: clamps the bounds, then steps from start towards stop.</summary>
    private static IEnumerable<int> SliceIndexes(int length, long? start, long? stop, long step)
    {
        long Clamp(long? bound, long whenMissing, long low, long high)
        {
            if (bound is not long b) return whenMissing;
            if (b < 0) b += length;
            return Math.Clamp(b, low, high);
        }

        if (step > 0)
        {
            long from = Clamp(start, 0, 0, length);
            long to = Clamp(stop, length, 0, length);
            for (long i = from; i < to; i += step) yield return (int)i;
        }
        else
        {
            long from = Clamp(start, length - 1, -1, length - 1);
            long to = Clamp(stop, -1, -1, length - 1);
            for (long i = from; i > to; i += step) yield return (int)i;
        }
    }
}
