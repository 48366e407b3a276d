using System.Diagnostics.CodeAnalysis;
using Transformer.ChatTemplates.Jinja.Runtime;

namespace Transformer.ChatTemplates.Jinja.Builtins;

/// <summary>A test: <c>input is name(arguments)</c>.</summary>
internal delegate bool Test(Interpreter interpreter, Value input, Arguments arguments);

/// <summary>
/// Jinja2's built-in tests, with Python's type rules: bool is a number but not an integer, <c>true</c> and
/// <c>false</c> mean the bool objects themselves, a dict and Undefined count as sequences.
/// </summary>
internal static class Tests
{
    private static readonly Dictionary<string, Test> Registry = new(StringComparer.Ordinal)
    {
        ["boolean"] = Is(v => v is BoolValue),
        ["callable"] = Is(v => v is CallableValue or UndefinedValue or LoopValue),
        ["defined"] = Is(v => v is not UndefinedValue),
        ["divisibleby"] = (_, v, a) => Operators.AreEqual(Operators.Modulo(v, a.Bind("divisibleby", 1, "num")[0]!), IntValue.Of(0)),
        ["escaped"] = Is(v => v is StringValue { IsMarkup: true }),
        ["even"] = Is(v => Operators.AreEqual(Operators.Modulo(v, IntValue.Of(2)), IntValue.Of(0))),
        ["false"] = Is(v => v == BoolValue.False),
        ["filter"] = (_, v, a) => NoArguments(a, "filter", () => v is StringValue s && Filters.TryGet(s.Value, out Filter? _)),
        ["float"] = Is(v => v is FloatValue),
        ["in"] = (_, v, a) => Operators.Contains(a.Bind("in", 1, "seq")[0]!, v),
        ["integer"] = Is(v => v is IntValue),
        ["iterable"] = Is(Iteration.IsIterable),
        ["lower"] = Is(v => Cased(v, lower: true)),
        ["mapping"] = Is(v => v is DictValue),
        ["none"] = Is(v => v is NoneValue),
        ["number"] = Is(Operators.IsNumber),
        ["odd"] = Is(v => Operators.AreEqual(Operators.Modulo(v, IntValue.Of(2)), IntValue.Of(1))),
        ["sameas"] = (_, v, a) => SameAs(v, a.Bind("sameas", 1, "other")[0]!),
        ["sequence"] = Is(v => v is ListValue or DictValue or StringValue or UndefinedValue),
        ["string"] = Is(v => v is StringValue),
        ["test"] = (_, v, a) => NoArguments(a, "test", () => v is StringValue s && Registry!.ContainsKey(s.Value)),
        ["true"] = Is(v => v == BoolValue.True),
        ["undefined"] = Is(v => v is UndefinedValue),
        ["upper"] = Is(v => Cased(v, lower: false)),
        ["eq"] = Compare("eq", c => c == 0, equality: true),
        ["equalto"] = Compare("equalto", c => c == 0, equality: true),
        ["=="] = Compare("==", c => c == 0, equality: true),
        ["ne"] = Compare("ne", c => c != 0, equality: true),
        ["!="] = Compare("!=", c => c != 0, equality: true),
        ["lt"] = Compare("lt", c => c < 0),
        ["lessthan"] = Compare("lessthan", c => c < 0),
        ["<"] = Compare("<", c => c < 0),
        ["le"] = Compare("le", c => c <= 0),
        ["<="] = Compare("<=", c => c <= 0),
        ["gt"] = Compare("gt", c => c > 0),
        ["greaterthan"] = Compare("greaterthan", c => c > 0),
        [">"] = Compare(">", c => c > 0),
        ["ge"] = Compare("ge", c => c >= 0),
        [">="] = Compare(">=", c => c >= 0),
    };

    public static bool TryGet(string name, [NotNullWhen(true)] out Test? test) => Registry.TryGetValue(name, out test);

    /// <summary>Runs a test by name, as <c>select('odd')</c> does; an unknown name fails at render time there.</summary>
    public static bool Apply(Interpreter interpreter, string name, Value input, Arguments arguments) =>
        TryGet(name, out Test? test) ? test(interpreter, input, arguments) : throw new TemplateError($"No test named '{name}'.");

    private static Test Is(Func<Value, bool> predicate) => (_, value, arguments) =>
    {
        arguments.BindNone("test");
        return predicate(value);
    };

    private static bool NoArguments(Arguments arguments, string name, Func<bool> body)
    {
        arguments.BindNone(name);
        return body();
    }

    private static Test Compare(string name, Func<int, bool> holds, bool equality = false) => (_, value, arguments) =>
    {
        Value other = arguments.Bind(name, 1, "other")[0]!;
        if (equality) return holds(Operators.AreEqual(value, other) ? 0 : 1);
        return holds(Operators.Compare(value, other, name));
    };

    private static bool Cased(Value value, bool lower)
    {
        string s = Python.PyRepr.Str(value);
        return lower
            ? s.Any(char.IsLower) && !s.Any(char.IsUpper)
            : s.Any(char.IsUpper) && !s.Any(char.IsLower);
    }

    /// <summary>Python's <c>is</c>: the same object. None, True, False and small ints are singletons in CPython; other values are identical only when they are the same object here.</summary>
    private static bool SameAs(Value value, Value other) => (value, other) switch
    {
        (NoneValue, NoneValue) => true,
        (BoolValue a, BoolValue b) => a.Value == b.Value,
        (IntValue a, IntValue b) when a.Value is >= -5 and <= 256 => a.Value == b.Value,
        _ => ReferenceEquals(value, other),
    };
}
