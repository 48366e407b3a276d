using System.Globalization;
using System.Text;
using Transformer.ChatTemplates.Jinja.Runtime;

namespace Transformer.ChatTemplates.Jinja.Python;

/// <summary>
/// Python's <c>json.dumps</c>, which Hugging Face's <c>tojson</c> filter calls with <c>ensure_ascii=False</c>:
/// ", " and ": " separators (with an indent, "," and ": "), keys in insertion order unless sorted, floats as
/// Python writes them, non-ASCII kept (or \uXXXX escaped with ensure_ascii), control characters as \u00XX.
/// System.Text.Json's writer differs in all of these, so the text is written here.
/// </summary>
internal sealed class PyJson
{
    private readonly string? _indent;
    private readonly string _itemSeparator;
    private readonly string _keySeparator;
    private readonly bool _sortKeys;
    private readonly bool _ensureAscii;
    private readonly StringBuilder _text = new();

    private PyJson(string? indent, string? itemSeparator, string? keySeparator, bool sortKeys, bool ensureAscii)
    {
        _indent = indent;
        _itemSeparator = itemSeparator ?? (indent is null ? ", " : ",");
        _keySeparator = keySeparator ?? ": ";
        _sortKeys = sortKeys;
        _ensureAscii = ensureAscii;
    }

    /// <param name="value">What to serialize.</param>
    /// <param name="indent">Null for one line; otherwise the text repeated per nesting level after each newline.</param>
    /// <param name="itemSeparator">Between items; null for the default.</param>
    /// <param name="keySeparator">Between a key and its value; null for the default.</param>
    /// <param name="sortKeys">Write dict keys in sorted order.</param>
    /// <param name="ensureAscii">Escape every non-ASCII character.</param>
    public static string Dumps(Value value, string? indent = null, string? itemSeparator = null, string? keySeparator = null,
        bool sortKeys = false, bool ensureAscii = false)
    {
        var writer = new PyJson(indent, itemSeparator, keySeparator, sortKeys, ensureAscii);
        writer.Write(value, 0);
        return writer._text.ToString();
    }

    private void Write(Value value, int level)
    {
        if (level > 200) throw new TemplateError("value nested too deeply for tojson");
        switch (value)
        {
            case NoneValue: _text.Append("null"); break;
            case BoolValue b: _text.Append(b.Value ? "true" : "false"); break;
            case IntValue i: _text.Append(i.Value.ToString(CultureInfo.InvariantCulture)); break;
            case FloatValue f: _text.Append(FloatText(f.Value)); break;
            case StringValue s: WriteString(s.Value); break;
            case ListValue list: WriteList(list.Items, level); break;
            case DictValue dict: WriteDict(dict, level); break;
            default: throw new TemplateError($"Object of type {value.TypeName} is not JSON serializable");
        }
    }

    private static string FloatText(double f) => double.IsNaN(f) ? "NaN"
        : double.IsPositiveInfinity(f) ? "Infinity"
        : double.IsNegativeInfinity(f) ? "-Infinity"
        : PyFloat.Repr(f);

    private void WriteList(IReadOnlyList<Value> items, int level)
    {
        if (items.Count == 0)
        {
            _text.Append("[]");
            return;
        }

        _text.Append('[');
        for (int i = 0; i < items.Count; i++)
        {
            _text.Append(i == 0 ? "" : _itemSeparator);
            NewLine(level + 1);
            Write(items[i], level + 1);
        }

        NewLine(level);
        _text.Append(']');
    }

    private void WriteDict(DictValue dict, int level)
    {
        if (dict.Items.Count == 0)
        {
            _text.Append("{}");
            return;
        }

        IEnumerable<KeyValuePair<Value, Value>> pairs = dict.Items;
        if (_sortKeys) pairs = Operators.SortStable(pairs, p => p.Key, descending: false);
        _text.Append('{');
        bool first = true;
        foreach (var (key, item) in pairs)
        {
            _text.Append(first ? "" : _itemSeparator);
            first = false;
            NewLine(level + 1);
            WriteString(KeyText(key));
            _text.Append(_keySeparator);
            Write(item, level + 1);
        }

        NewLine(level);
        _text.Append('}');
    }

    private static string KeyText(Value key) => key switch
    {
        StringValue s => s.Value,
        BoolValue b => b.Value ? "true" : "false",
        IntValue i => i.Value.ToString(CultureInfo.InvariantCulture),
        FloatValue f => FloatText(f.Value),
        NoneValue => "null",
        _ => throw new TemplateError($"keys must be str, int, float, bool or None, not {key.TypeName}"),
    };

    private void NewLine(int level)
    {
        if (_indent is null) return;
        _text.Append('\n');
        for (int i = 0; i < level; i++) _text.Append(_indent);
    }

    private void WriteString(string s)
    {
        _text.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': _text.Append("\\\""); break;
                case '\\': _text.Append("\\\\"); break;
                case '\n': _text.Append("\\n"); break;
                case '\r': _text.Append("\\r"); break;
                case '\t': _text.Append("\\t"); break;
                case '\b': _text.Append("\\b"); break;
                case '\f': _text.Append("\\f"); break;
                default:
                    if (c < 0x20 || (_ensureAscii && c > 0x7e)) _text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else _text.Append(c);
                    break;
            }
        }

        _text.Append('"');
    }
}
