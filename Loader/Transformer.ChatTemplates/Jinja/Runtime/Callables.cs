namespace Transformer.ChatTemplates.Jinja.Runtime;

/// <summary>Something a template can call: a global function, a bound method of a value, a macro.</summary>
internal abstract class CallableValue : Value
{
    public abstract string Name { get; }

    public abstract Value Call(Interpreter interpreter, Arguments arguments);
}

/// <summary>A global function (<c>range</c>, <c>namespace</c>, <c>raise_exception</c>, …).</summary>
internal sealed class BuiltinFunction(string name, Func<Interpreter, Arguments, Value> body) : CallableValue
{
    public override string Name { get; } = name;

    public override string TypeName => "function";

    public override Value Call(Interpreter interpreter, Arguments arguments) => body(interpreter, arguments);
}

/// <summary>A method looked up on a value (<c>message.content.strip</c>, <c>tool.items</c>), bound to it.</summary>
internal sealed class BoundMethod(Value receiver, string name, Func<Arguments, Value> body) : CallableValue
{
    public Value Receiver { get; } = receiver;

    public override string Name { get; } = name;

    public override string TypeName => "builtin_function_or_method";

    public override Value Call(Interpreter interpreter, Arguments arguments) => body(arguments);
}

/// <summary>The arguments of one call: positional values, then keyword values in the order written.</summary>
internal sealed class Arguments(IReadOnlyList<Value> positional, IReadOnlyList<KeyValuePair<string, Value>> named)
{
    public static readonly Arguments None = new([], []);

    public IReadOnlyList<Value> Positional { get; } = positional;

    public IReadOnlyList<KeyValuePair<string, Value>> Named { get; } = named;

    /// <summary>
    /// Binds the arguments to parameters as Python does: positional first, then by keyword. The first
    /// <paramref name="required"/> parameters must be given; absent optional ones are null.
    /// </summary>
    public Value?[] Bind(string function, int required, params string[] parameters)
    {
        if (Positional.Count > parameters.Length)
        {
            throw new TemplateError($"{function}() takes at most {parameters.Length} argument(s) ({Positional.Count} given)");
        }

        var bound = new Value?[parameters.Length];
        for (int i = 0; i < Positional.Count; i++) bound[i] = Positional[i];
        foreach (var (name, value) in Named)
        {
            int index = Array.IndexOf(parameters, name);
            if (index < 0) throw new TemplateError($"{function}() got an unexpected keyword argument '{name}'");
            if (bound[index] is not null) throw new TemplateError($"{function}() got multiple values for argument '{name}'");
            bound[index] = value;
        }

        for (int i = 0; i < required; i++)
        {
            if (bound[i] is null) throw new TemplateError($"{function}() missing required argument '{parameters[i]}'");
        }

        return bound;
    }

    /// <summary>For functions that take no arguments.</summary>
    public void BindNone(string function) => Bind(function, 0);
}
