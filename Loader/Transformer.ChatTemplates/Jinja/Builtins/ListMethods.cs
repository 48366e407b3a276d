using Transformer.ChatTemplates.Jinja.Runtime;

namespace Transformer.ChatTemplates.Jinja.Builtins;

/// <summary>The list (and tuple) methods that read: <c>count()</c> and <c>index()</c>. The mutating ones are refused, as by Jinja2's immutable sandbox.</summary>
internal static class ListMethods
{
    private static readonly HashSet<string> Mutating = ["append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"];

    public static Value? Find(ListValue list, string name) => name switch
    {
        "count" => new BoundMethod(list, name, a => IntValue.Of(list.Items.Count(x => Operators.AreEqual(x, a.Bind("count", 1, "value")[0]!)))),
        "index" => new BoundMethod(list, name, a => Index(list, a)),
        _ when Mutating.Contains(name) && !list.IsTuple => new UndefinedValue($"access to attribute '{name}' of '{list.TypeName}' object is unsafe."),
        _ => null,
    };

    private static Value Index(ListValue list, Arguments arguments)
    {
        Value wanted = arguments.Bind("index", 1, "value")[0]!;
        for (int i = 0; i < list.Items.Count; i++)
        {
            if (Operators.AreEqual(list.Items[i], wanted)) return IntValue.Of(i);
        }

        throw new TemplateError($"{Python.PyRepr.Repr(wanted)} is not in list");
    }
}
