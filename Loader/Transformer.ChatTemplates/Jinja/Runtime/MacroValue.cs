using System.Text;
using Transformer.ChatTemplates.Jinja.Syntax;

namespace Transformer.ChatTemplates.Jinja.Runtime;

/// <summary>
/// A <c>{% macro %}</c>: called like a function, it renders its body in a new scope under the scope it was
/// defined in (so it sees that scope's variables as they are at call time, as Jinja2 macros do) and returns
/// the text. Missing arguments take their default, or are undefined.
/// </summary>
internal sealed class MacroValue(MacroStmt definition, Scope definedIn) : CallableValue
{
    public override string Name => definition.Name;

    public override string TypeName => "Macro";

    public override Value Call(Interpreter interpreter, Arguments arguments)
    {
        var parameters = definition.Parameters;
        if (arguments.Positional.Count > parameters.Count)
        {
            throw new TemplateError($"macro '{Name}' takes not more than {parameters.Count} argument(s)");
        }

        var scope = new Scope(definedIn);
        var given = new Value?[parameters.Count];
        for (int i = 0; i < arguments.Positional.Count; i++) given[i] = arguments.Positional[i];
        foreach (var (name, value) in arguments.Named)
        {
            int index = parameters.ToList().FindIndex(p => p.Name == name);
            if (index < 0) throw new TemplateError($"macro '{Name}' takes no keyword argument '{name}'");
            if (given[index] is not null) throw new TemplateError($"macro '{Name}' got multiple values for argument '{name}'");
            given[index] = value;
        }

        // Defaults are evaluated at call time, in order, so one may use an earlier parameter.
        for (int i = 0; i < parameters.Count; i++)
        {
            Value value = given[i]
                ?? (parameters[i].Default is { } fallback ? interpreter.Evaluate(fallback, scope) : new UndefinedValue($"parameter '{parameters[i].Name}' was not provided"));
            scope.Set(parameters[i].Name, value);
        }

        var output = new StringBuilder();
        interpreter.ExecuteCall(definition.Body, scope, output, definition.Position);
        return new StringValue(output.ToString());
    }
}
