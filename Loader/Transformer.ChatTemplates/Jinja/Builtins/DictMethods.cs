using Transformer.ChatTemplates.Jinja.Runtime;

namespace Transformer.ChatTemplates.Jinja.Builtins;

/// <summary>
/// The dict methods templates call (<c>items()</c>, <c>keys()</c>, <c>values()</c>, <c>get()</c>, <c>copy()</c>).
/// Because Jinja2 looks a <c>.name</c> up as a Python attribute first, <c>tool.items</c> is this method even
/// when the dict has an "items" key. The mutating methods exist but are refused when called, as Jinja2's
/// immutable sandbox does.
/// </summary>
internal static class DictMethods
{
    private static readonly HashSet<string> Mutating = ["clear", "pop", "popitem", "setdefault", "update"];

    public static Value? Find(DictValue dict, string name) => name switch
    {
        "items" => new BoundMethod(dict, name, a => Items(dict, a)),
        "keys" => new BoundMethod(dict, name, a => { a.BindNone("keys"); return new ListValue([.. dict.Items.Keys]); }),
        "values" => new BoundMethod(dict, name, a => { a.BindNone("values"); return new ListValue([.. dict.Items.Values]); }),
        "get" => new BoundMethod(dict, name, a => Get(dict, a)),
        "copy" => new BoundMethod(dict, name, a => { a.BindNone("copy"); return new DictValue(new(dict.Items, ValueKeyComparer.Instance)); }),
        _ when Mutating.Contains(name) => new UndefinedValue($"access to attribute '{name}' of 'dict' object is unsafe."),
        _ => null,
    };

    public static ListValue Items(DictValue dict, Arguments arguments)
    {
        arguments.BindNone("items");
        return new ListValue([.. dict.Items.Select(p => (Value)new ListValue([p.Key, p.Value], isTuple: true))]);
    }

    private static Value Get(DictValue dict, Arguments arguments)
    {
        var bound = arguments.Bind("get", 1, "key", "default");
        Value key = Operators.Hashable(bound[0]!);
        return dict.Items.TryGetValue(key, out Value? value) ? value : bound[1] ?? NoneValue.Instance;
    }
}
