using Transformer.ChatTemplates.Jinja.Python;
using Transformer.ChatTemplates.Jinja.Runtime;

namespace Transformer.ChatTemplates.Jinja.Builtins;

/// <summary>
/// The global functions of Hugging Face's environment: Jinja2's <c>range</c> (capped at 100,000 items as its
/// sandbox caps it), <c>dict</c> and <c>namespace</c>, and the two transformers adds, <c>raise_exception</c>
/// and <c>strftime_now</c>.
/// </summary>
internal static class Globals
{
    /// <summary>Jinja2's sandbox MAX_RANGE.</summary>
    private const long MaxRange = 100_000;

    public static Scope CreateScope()
    {
        var scope = new Scope(null);
        foreach (var function in Functions) scope.Set(function.Name, function);
        return scope;
    }

    private static readonly BuiltinFunction[] Functions =
    [
        new("range", (_, a) => Range(a)),
        new("dict", (_, a) => Dict(a)),
        new("namespace", (_, a) => Namespace(a)),
        new("raise_exception", (_, a) => throw new TemplateError(PyRepr.Str(a.Bind("raise_exception", 1, "message")[0]!), ChatTemplateErrorKind.Raised)),
        new("strftime_now", (i, a) => new StringValue(Strftime.Format(i.Now, StringMethods.Text(a.Bind("strftime_now", 1, "format")[0]!, "strftime_now")))),
    ];

    private static Value Range(Arguments arguments)
    {
        if (arguments.Named.Count > 0) throw new TemplateError("range() takes no keyword arguments");
        long[] bounds = [.. arguments.Positional.Select(v => v switch
        {
            IntValue i => i.Value,
            BoolValue b => b.Value ? 1L : 0L,
            _ => throw new TemplateError($"'{v.TypeName}' object cannot be interpreted as an integer"),
        })];
        (long start, long stop, long step) = bounds switch
        {
            [long s] => (0L, s, 1L),
            [long a, long b] => (a, b, 1L),
            [long a, long b, long c] => (a, b, c),
            _ => throw new TemplateError($"range expected 1 to 3 arguments, got {bounds.Length}"),
        };
        if (step == 0) throw new TemplateError("range() arg 3 must not be zero");
        long count = step > 0 ? Math.Max(0, (stop - start + step - 1) / step) : Math.Max(0, (start - stop - step - 1) / -step);
        if (count > MaxRange) throw new TemplateError($"Range too big. The sandbox blocks ranges larger than MAX_RANGE ({MaxRange}).");
        var items = new Value[count];
        for (long i = 0; i < count; i++) items[i] = IntValue.Of(start + i * step);
        return new ListValue(items);
    }

    private static Value Dict(Arguments arguments)
    {
        var items = DictValue.NewItems();
        if (arguments.Positional.Count > 1) throw new TemplateError($"dict expected at most 1 argument, got {arguments.Positional.Count}");
        if (arguments.Positional.Count == 1)
        {
            if (arguments.Positional[0] is not DictValue source) throw new TemplateError("dict() argument must be a mapping");
            foreach (var (key, value) in source.Items) items[key] = value;
        }

        foreach (var (name, value) in arguments.Named) items[new StringValue(name)] = value;
        return new DictValue(items);
    }

    private static Value Namespace(Arguments arguments)
    {
        var attributes = new OrderedDictionary<string, Value>(StringComparer.Ordinal);
        if (arguments.Positional.Count > 1) throw new TemplateError($"namespace expected at most 1 argument, got {arguments.Positional.Count}");
        if (arguments.Positional.Count == 1)
        {
            if (arguments.Positional[0] is not DictValue source) throw new TemplateError("namespace() argument must be a mapping");
            foreach (var (key, value) in source.Items) attributes[PyRepr.Str(key)] = value;
        }

        foreach (var (name, value) in arguments.Named) attributes[name] = value;
        return new NamespaceValue(attributes);
    }
}
