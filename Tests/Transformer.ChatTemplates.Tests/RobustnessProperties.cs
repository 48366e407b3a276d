using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;

namespace Transformer.ChatTemplates.Tests;

/// <summary>
/// Whatever the template, parsing and rendering either succeed or throw <see cref="ChatTemplateException"/>
/// (or stop on cancellation): never another exception, a crash or a hang. Templates are generated from a
/// small grammar of statements (up to 6, nested up to 3 deep) over expressions (up to 4 deep) that mix every
/// operator, lookup, filter and test kind with values of every type, so most of them parse and reach the
/// renderer's type and bounds checks; one in four is then cut at a random point to exercise the parser's errors.
/// </summary>
public sealed class RobustnessProperties
{
    private static readonly string[] Atoms =
        ["messages", "x", "m", "loop", "ns", "nothing", "1", "-1", "0", "2.5", "'s'", "'é😀'", "none", "true", "[]", "{}", "[1, 'a']", "{'k': 'v'}", "range(3)"];

    private static readonly string[] Attributes = ["content", "role", "index0", "last", "a", "k", "items()", "keys()", "strip()", "split(',')", "0", "length"];

    private static readonly string[] Filters = ["trim", "length", "tojson", "first", "last", "list", "upper", "default('d')", "join(',')", "items", "int", "string", "selectattr('role')", "map(attribute='role')", "reverse", "sort", "indent(2)", "replace('a', 'b')"];

    private static readonly string[] Tests = ["defined", "none", "string", "mapping", "iterable", "sequence", "number", "true", "odd", "divisibleby 2", "in [1]"];

    private static readonly string[] Operators = ["+", "-", "*", "/", "//", "%", "**", "~", "==", "!=", "<", ">=", "in", "not in", "and", "or"];

    private static Gen<string> Expression(int depth)
    {
        var atom = Gen.Elements(Atoms);
        if (depth == 0) return atom;
        var inner = Expression(depth - 1);
        return Gen.OneOf(
            atom,
            from e in inner from a in Gen.Elements(Attributes) select $"{e}.{a}",
            from e in inner from k in inner select $"{e}[{k}]",
            from e in inner from s in Gen.Elements("[1:]", "[::-1]", "[:-1]", "[0:2:0]") select e + s,
            from e in inner from f in Gen.Elements(Filters) select $"({e}|{f})",
            from e in inner from t in Gen.Elements(Tests) from not in Gen.Elements("", "not ") select $"({e} is {not}{t})",
            from l in inner from op in Gen.Elements(Operators) from r in inner select $"({l} {op} {r})",
            from e in inner select $"not {e}",
            from c in inner from t in inner from o in inner select $"({t} if {c} else {o})",
            from e in inner select $"{e}({e})");
    }

    private static Gen<string> Statements(int depth)
    {
        var expression = Expression(3);
        var simple = Gen.OneOf(
            Gen.Elements("text ", "\n", "  ", "{# c #}", "{{- ' ' -}}"),
            from e in expression select $"{{{{ {e} }}}}",
            from e in expression select $"{{% set x = {e} %}}",
            from e in expression select $"{{% set ns = namespace(a={e}) %}}{{% set ns.a = ns.a ~ 1 %}}");
        if (depth == 0) return simple;
        var body = Statements(depth - 1);
        return Gen.OneOf(
            simple,
            from c in expression from t in body from o in body select $"{{% if {c} %}}{t}{{% else %}}{o}{{% endif %}}",
            from e in expression from b in body select $"{{%- for m in {e} -%}}{b}{{% if loop.index > 2 %}}{{% break %}}{{% endif %}}{{% else %}}none{{% endfor %}}",
            from b in body select $"{{% macro f(v, w=2) %}}{b}{{{{ v }}}}{{% endmacro %}}{{{{ f(x) }}}}");
    }

    private static readonly Gen<string> Templates =
        from count in Gen.Choose(1, 6)
        from parts in Gen.ArrayOf(Statements(3), count)
        from cut in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        from at in Gen.Choose(0, 1000)
        let source = string.Concat(parts)
        select cut ? source[..(at * source.Length / 1000)] : source;

    private static readonly Dictionary<string, JsonNode?> Variables = new()
    {
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hi, there" }, new JsonObject { ["role"] = "assistant", ["content"] = "" }),
        ["x"] = 3,
    };

    [Fact]
    public void Parsing_and_rendering_only_ever_fail_with_a_template_error()
    {
        int parsed = 0, rendered = 0;
        var config = Config.QuickThrowOnFailure.WithMaxTest(2000).WithQuietOnSuccess(true);
        Check.One(config, Prop.ForAll(Templates.ToArbitrary(), source =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                var template = ChatTemplate.Parse(source);
                parsed++;
                template.Render(Variables, TestFiles.GoldenNow, timeout.Token);
                rendered++;
            }
            catch (ChatTemplateException)
            {
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
            }
        }));

        // The generator must reach the renderer, not only the parser's errors (random expressions mostly end
        // in a type error, which is a ChatTemplateException too).
        Assert.True(parsed > 1000 && rendered > 20, $"{parsed} of 2000 templates parsed, {rendered} rendered");
    }
}
