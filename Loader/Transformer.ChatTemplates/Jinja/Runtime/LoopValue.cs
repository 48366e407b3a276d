namespace Transformer.ChatTemplates.Jinja.Runtime;

/// <summary>
/// Jinja2's <c>loop</c> inside a for loop: one object advanced per iteration (so <c>{% set outer = loop %}</c>
/// follows the outer loop), with index, index0, revindex, revindex0, first, last, length, previtem, nextitem,
/// depth, depth0, <c>cycle(...)</c> and <c>changed(...)</c>.
/// </summary>
internal sealed class LoopValue(IReadOnlyList<Value> items) : Value
{
    private Value? _lastChanged;

    public int Index0 { get; private set; }

    public int Length => items.Count;

    public override string TypeName => "LoopContext";

    public void MoveTo(int index0) => Index0 = index0;

    public Value GetAttribute(string name) => name switch
    {
        "index" => IntValue.Of(Index0 + 1),
        "index0" => IntValue.Of(Index0),
        "revindex" => IntValue.Of(Length - Index0),
        "revindex0" => IntValue.Of(Length - Index0 - 1),
        "first" => BoolValue.Of(Index0 == 0),
        "last" => BoolValue.Of(Index0 == Length - 1),
        "length" => IntValue.Of(Length),
        "depth" => IntValue.Of(1),
        "depth0" => IntValue.Of(0),
        "previtem" => Index0 > 0 ? items[Index0 - 1] : new UndefinedValue("there is no previous item"),
        "nextitem" => Index0 + 1 < Length ? items[Index0 + 1] : new UndefinedValue("there is no next item"),
        "cycle" => new BoundMethod(this, "cycle", Cycle),
        "changed" => new BoundMethod(this, "changed", Changed),
        _ => new UndefinedValue($"'LoopContext object' has no attribute '{name}'"),
    };

    private Value Cycle(Arguments arguments)
    {
        if (arguments.Positional.Count == 0) throw new TemplateError("no items for cycling given");
        return arguments.Positional[Index0 % arguments.Positional.Count];
    }

    private Value Changed(Arguments arguments)
    {
        var current = new ListValue(arguments.Positional, isTuple: true);
        if (_lastChanged is not null && Operators.AreEqual(_lastChanged, current)) return BoolValue.False;
        _lastChanged = current;
        return BoolValue.True;
    }
}
