namespace Transformer.ChatTemplates.Jinja.Runtime;

/// <summary>What <c>for</c>, filters and unpacking iterate: list items, dict keys, a string's characters, nothing for Undefined.</summary>
internal static class Iteration
{
    public static IEnumerable<Value> Items(Value value) => value switch
    {
        ListValue list => list.Items,
        DictValue dict => dict.Items.Keys,
        StringValue s => Python.PyText.CodePoints(s.Value).Select(c => (Value)new StringValue(c, s.IsMarkup)),
        UndefinedValue => [],
        GeneratorValue generator => generator.Consume(),
        _ => throw new TemplateError($"'{value.TypeName}' object is not iterable"),
    };

    public static bool IsIterable(Value value) => value is ListValue or DictValue or StringValue or UndefinedValue or GeneratorValue;

    /// <summary>Python's <c>len()</c>.</summary>
    public static int Length(Value value) => value switch
    {
        ListValue list => list.Items.Count,
        DictValue dict => dict.Items.Count,
        StringValue s => Python.PyText.Length(s.Value),
        UndefinedValue => 0,
        _ => throw new TemplateError($"object of type '{value.TypeName}' has no len()"),
    };
}
