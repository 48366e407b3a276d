namespace Transformer.ChatTemplates.Jinja.Runtime;

/// <summary>
/// A value inside a template: the Python objects a Hugging Face chat template sees (None, bool, int, float,
/// str, list, tuple, dict) plus Jinja2's own (Undefined, namespace, loop, macros, generators). Values are
/// immutable except namespaces, as in Jinja2's immutable sandbox, which refuses to mutate lists and dicts.
/// </summary>
internal abstract class Value
{
    /// <summary>Python's type name, for error messages ("'int' object is not iterable").</summary>
    public abstract string TypeName { get; }
}

/// <summary>
/// Jinja2's default <c>Undefined</c>: prints as nothing, is false, iterates as empty, and raises (with
/// <see cref="Message"/>) on any other use, such as an attribute, an item, a call or arithmetic.
/// </summary>
internal sealed class UndefinedValue(string message) : Value
{
    public string Message { get; } = message;

    public override string TypeName => "Undefined";

    public static UndefinedValue Named(string name) => new($"'{name}' is undefined");

    public TemplateError Error() => new(Message);
}

internal sealed class NoneValue : Value
{
    public static readonly NoneValue Instance = new();

    private NoneValue() { }

    public override string TypeName => "NoneType";
}

internal sealed class BoolValue : Value
{
    public static readonly BoolValue True = new(true);
    public static readonly BoolValue False = new(false);

    private BoolValue(bool value) => Value = value;

    public bool Value { get; }

    public override string TypeName => "bool";

    public static BoolValue Of(bool value) => value ? True : False;
}

internal sealed class IntValue(long value) : Value
{
    private static readonly IntValue[] Small = [.. Enumerable.Range(-5, 262).Select(i => new IntValue(i))];

    public long Value { get; } = value;

    public override string TypeName => "int";

    public static IntValue Of(long value) => value is >= -5 and <= 256 ? Small[value + 5] : new IntValue(value);
}

internal sealed class FloatValue(double value) : Value
{
    public double Value { get; } = value;

    public override string TypeName => "float";
}

/// <summary>A str; <see cref="IsMarkup"/> marks markupsafe's <c>Markup</c> (from <c>|safe</c>, <c>|escape</c>), which escapes what is added to it.</summary>
internal sealed class StringValue(string value, bool isMarkup = false) : Value
{
    public static readonly StringValue Empty = new("");

    public string Value { get; } = value;

    public bool IsMarkup { get; } = isMarkup;

    public override string TypeName => IsMarkup ? "Markup" : "str";
}

/// <summary>A list, or a tuple when <see cref="IsTuple"/> (they differ in printing and equality).</summary>
internal sealed class ListValue(IReadOnlyList<Value> items, bool isTuple = false) : Value
{
    public IReadOnlyList<Value> Items { get; } = items;

    public bool IsTuple { get; } = isTuple;

    public override string TypeName => IsTuple ? "tuple" : "list";
}

/// <summary>A dict, in insertion order as Python's.</summary>
internal sealed class DictValue(OrderedDictionary<Value, Value> items) : Value
{
    public OrderedDictionary<Value, Value> Items { get; } = items;

    public override string TypeName => "dict";

    public static OrderedDictionary<Value, Value> NewItems() => new(ValueKeyComparer.Instance);

    public static DictValue FromStrings(IEnumerable<KeyValuePair<string, Value>> pairs)
    {
        var items = NewItems();
        foreach (var (key, value) in pairs) items[new StringValue(key)] = value;
        return new DictValue(items);
    }
}

/// <summary>Jinja2's <c>namespace()</c>: the one mutable object, whose attributes <c>{% set ns.x = … %}</c> assigns across scopes.</summary>
internal sealed class NamespaceValue(OrderedDictionary<string, Value> attributes) : Value
{
    public OrderedDictionary<string, Value> Attributes { get; } = attributes;

    public override string TypeName => "Namespace";
}

/// <summary>
/// A one-shot iterator, what Jinja2's <c>select</c>, <c>map</c>, <c>unique</c> and friends return: always true,
/// without a length, consumed by the first loop or filter that reads it.
/// </summary>
internal sealed class GeneratorValue(IEnumerable<Value> source) : Value
{
    private IEnumerator<Value>? _items = source.GetEnumerator();

    public override string TypeName => "generator";

    public IEnumerable<Value> Consume()
    {
        var items = _items;
        _items = null;
        if (items is null) yield break;
        using (items)
        {
            while (items.MoveNext()) yield return items.Current;
        }
    }
}
