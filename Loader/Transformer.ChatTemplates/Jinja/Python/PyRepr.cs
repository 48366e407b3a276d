using System.Globalization;
using System.Text;
using Transformer.ChatTemplates.Jinja.Runtime;

namespace Transformer.ChatTemplates.Jinja.Python;

/// <summary>Python's <c>str()</c> and <c>repr()</c> of template values: what <c>{{ x }}</c> prints.</summary>
internal static class PyRepr
{
    public static string Str(Value value) => value switch
    {
        StringValue s => s.Value,
        UndefinedValue => "",
        _ => Repr(value),
    };

    public static string Repr(Value value)
    {
        var text = new StringBuilder();
        AppendRepr(text, value, depth: 0);
        return text.ToString();
    }

    private static void AppendRepr(StringBuilder text, Value value, int depth)
    {
        if (depth > 200) throw new TemplateError("value nested too deeply to print");
        switch (value)
        {
            case NoneValue: text.Append("None"); break;
            case BoolValue b: text.Append(b.Value ? "True" : "False"); break;
            case IntValue i: text.Append(i.Value.ToString(CultureInfo.InvariantCulture)); break;
            case FloatValue f: text.Append(PyFloat.Repr(f.Value)); break;
            case StringValue s when s.IsMarkup: text.Append("Markup(").Append(QuoteString(s.Value)).Append(')'); break;
            case StringValue s: text.Append(QuoteString(s.Value)); break;
            case UndefinedValue: text.Append("Undefined"); break;
            case ListValue list:
                text.Append(list.IsTuple ? '(' : '[');
                for (int i = 0; i < list.Items.Count; i++)
                {
                    if (i > 0) text.Append(", ");
                    AppendRepr(text, list.Items[i], depth + 1);
                }

                if (list.IsTuple && list.Items.Count == 1) text.Append(',');
                text.Append(list.IsTuple ? ')' : ']');
                break;
            case DictValue dict:
                text.Append('{');
                bool first = true;
                foreach (var (key, item) in dict.Items)
                {
                    if (!first) text.Append(", ");
                    first = false;
                    AppendRepr(text, key, depth + 1);
                    text.Append(": ");
                    AppendRepr(text, item, depth + 1);
                }

                text.Append('}');
                break;
            case NamespaceValue ns:
                text.Append("<Namespace {");
                bool firstAttribute = true;
                foreach (var (name, item) in ns.Attributes)
                {
                    if (!firstAttribute) text.Append(", ");
                    firstAttribute = false;
                    text.Append(QuoteString(name)).Append(": ");
                    AppendRepr(text, item, depth + 1);
                }

                text.Append("}>");
                break;
            case LoopValue loop: text.Append("<LoopContext ").Append(loop.Index0 + 1).Append('/').Append(loop.Length).Append('>'); break;
            case MacroValue macro: text.Append("<Macro '").Append(macro.Name).Append("'>"); break;
            case BoundMethod method: text.Append("<built-in method ").Append(method.Name).Append(" of ").Append(method.Receiver.TypeName).Append(" object>"); break;
            case CallableValue function: text.Append("<function ").Append(function.Name).Append('>'); break;
            case GeneratorValue: text.Append("<generator object>"); break;
            default: text.Append('<').Append(value.TypeName).Append(" object>"); break;
        }
    }

    /// <summary>
    /// A string's repr: single quotes unless it holds a single quote and no double quote; backslash, the
    /// quote, \n, \r, \t escaped; other unprintable characters as \xNN, \uNNNN or \UNNNNNNNN.
    /// </summary>
    public static string QuoteString(string s)
    {
        char quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var text = new StringBuilder(s.Length + 2).Append(quote);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == quote || c == '\\') text.Append('\\').Append(c);
            else if (c == '\n') text.Append("\\n");
            else if (c == '\r') text.Append("\\r");
            else if (c == '\t') text.Append("\\t");
            else if (c < 0x20 || c == 0x7f) text.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else if (c < 0x7f) text.Append(c);
            else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                var rune = new Rune(c, s[++i]);
                if (PyText.IsPrintable(rune)) text.Append(rune.ToString());
                else text.Append("\\U").Append(rune.Value.ToString("x8", CultureInfo.InvariantCulture));
            }
            else if (char.IsSurrogate(c) || !PyText.IsPrintable(new Rune(c)))
            {
                text.Append(c <= 0xFF ? "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture) : "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append(c);
            }
        }

        return text.Append(quote).ToString();
    }
}
