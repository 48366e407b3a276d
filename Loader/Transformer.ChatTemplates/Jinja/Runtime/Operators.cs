using Transformer.ChatTemplates.Jinja.Python;

namespace Transformer.ChatTemplates.Jinja.Runtime;

/// <summary>
/// Python's operators on template values: truth, equality, ordering, containment and arithmetic, with
/// Python's rules (bool is an int, 1 == 1.0, // and % floor, / is true division, str + int is a TypeError)
/// and Jinja2's Undefined, which fails every operator but == and !=.
/// </summary>
internal static class Operators
{
    public static bool IsTrue(Value value) => value switch
    {
        BoolValue b => b.Value,
        NoneValue or UndefinedValue => false,
        IntValue i => i.Value != 0,
        FloatValue f => f.Value != 0,
        StringValue s => s.Value.Length > 0,
        ListValue l => l.Items.Count > 0,
        DictValue d => d.Items.Count > 0,
        _ => true,
    };

    /// <summary>A number as Python sees it: bool and int as long, float as double.</summary>
    private static bool TryInteger(Value value, out long integer)
    {
        switch (value)
        {
            case IntValue i: integer = i.Value; return true;
            case BoolValue b: integer = b.Value ? 1 : 0; return true;
            default: integer = 0; return false;
        }
    }

    private static bool TryNumber(Value value, out double number)
    {
        switch (value)
        {
            case IntValue i: number = i.Value; return true;
            case BoolValue b: number = b.Value ? 1 : 0; return true;
            case FloatValue f: number = f.Value; return true;
            default: number = 0; return false;
        }
    }

    public static bool IsNumber(Value value) => value is IntValue or BoolValue or FloatValue;

    public static bool AreEqual(Value a, Value b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (TryInteger(a, out long ia) && TryInteger(b, out long ib)) return ia == ib;
        if (IsNumber(a) && IsNumber(b) && TryNumber(a, out double da) && TryNumber(b, out double db)) return da == db;
        return (a, b) switch
        {
            (StringValue x, StringValue y) => x.Value == y.Value,
            (NoneValue, NoneValue) => true,
            (UndefinedValue, UndefinedValue) => true,
            (ListValue x, ListValue y) => x.IsTuple == y.IsTuple && x.Items.Count == y.Items.Count && x.Items.Zip(y.Items).All(p => AreEqual(p.First, p.Second)),
            (DictValue x, DictValue y) => x.Items.Count == y.Items.Count
                && x.Items.All(p => y.Items.TryGetValue(p.Key, out Value? other) && AreEqual(p.Value, other)),
            _ => false,
        };
    }

    /// <summary>Ordering for &lt;, &lt;=, &gt;, &gt;= (and sorting): numbers, strings by code point, lists and tuples item by item.</summary>
    public static int Compare(Value a, Value b, string op)
    {
        if (TryInteger(a, out long ia) && TryInteger(b, out long ib)) return ia.CompareTo(ib);
        if (TryNumber(a, out double da) && TryNumber(b, out double db)) return da.CompareTo(db);
        switch (a, b)
        {
            case (UndefinedValue u, _): throw u.Error();
            case (_, UndefinedValue u): throw u.Error();
            case (StringValue x, StringValue y): return CompareCodePoints(x.Value, y.Value);
            case (ListValue x, ListValue y) when x.IsTuple == y.IsTuple:
                for (int i = 0; i < Math.Min(x.Items.Count, y.Items.Count); i++)
                {
                    if (!AreEqual(x.Items[i], y.Items[i])) return Compare(x.Items[i], y.Items[i], op);
                }

                return x.Items.Count.CompareTo(y.Items.Count);
        }

        throw new TemplateError($"'{op}' not supported between instances of '{a.TypeName}' and '{b.TypeName}'");
    }

    /// <summary>
    /// A stable sort by Python's ordering (what <c>sorted()</c> gives, also reversed). A key pair that cannot be
    /// ordered ('&lt;' between str and int) is the template's error, not .NET's wrapped comparison failure.
    /// </summary>
    public static List<T> SortStable<T>(IEnumerable<T> items, Func<T, Value> key, bool descending)
    {
        var order = Comparer<Value>.Create((a, b) => Compare(a, b, "<"));
        try
        {
            return descending ? [.. items.OrderByDescending(key, order)] : [.. items.OrderBy(key, order)];
        }
        catch (InvalidOperationException e) when (e.InnerException is TemplateError error)
        {
            throw error;
        }
    }

    /// <summary>Python orders str by code point; UTF-16 ordinal order differs only for characters above U+FFFF.</summary>
    public static int CompareCodePoints(string x, string y)
    {
        int n = Math.Min(x.Length, y.Length);
        for (int i = 0; i < n; i++)
        {
            if (x[i] == y[i]) continue;
            bool sx = char.IsSurrogate(x[i]), sy = char.IsSurrogate(y[i]);
            if (sx != sy) return sx ? 1 : -1; // a surrogate stands for a code point above every BMP character
            return x[i].CompareTo(y[i]);
        }

        return x.Length.CompareTo(y.Length);
    }

    public static bool Contains(Value container, Value item) => container switch
    {
        StringValue s when item is StringValue sub => s.Value.Contains(sub.Value, StringComparison.Ordinal),
        StringValue => throw new TemplateError($"'in <string>' requires string as left operand, not {item.TypeName}"),
        ListValue l => l.Items.Any(x => AreEqual(x, item)),
        DictValue d => d.Items.ContainsKey(Hashable(item)),
        UndefinedValue => false,
        GeneratorValue g => g.Consume().Any(x => AreEqual(x, item)),
        _ => throw new TemplateError($"argument of type '{container.TypeName}' is not iterable"),
    };

    /// <summary>A value usable as a dict key; lists and dicts are not, as in Python.</summary>
    public static Value Hashable(Value key) => key is ListValue { IsTuple: false } or DictValue or NamespaceValue
        ? throw new TemplateError($"unhashable type: '{key.TypeName}'")
        : key;

    public static Value Add(Value a, Value b)
    {
        if (TryInteger(a, out long x) && TryInteger(b, out long y)) return Integer(() => checked(x + y));
        if (IsNumber(a) && IsNumber(b)) return new FloatValue(Number(a) + Number(b));
        switch (a, b)
        {
            case (UndefinedValue u, _): throw u.Error();
            case (_, UndefinedValue u): throw u.Error();
            case (StringValue s, StringValue t) when s.IsMarkup || t.IsMarkup:
                return new StringValue(Markup.Escape(s) + Markup.Escape(t), isMarkup: true);
            case (StringValue s, StringValue t): return new StringValue(s.Value + t.Value);
            case (ListValue l, ListValue m) when l.IsTuple == m.IsTuple: return new ListValue([.. l.Items, .. m.Items], l.IsTuple);
            case (StringValue, _): throw new TemplateError($"can only concatenate str (not \"{b.TypeName}\") to str");
            case (ListValue l, _): throw new TemplateError($"can only concatenate {l.TypeName} (not \"{b.TypeName}\") to {l.TypeName}");
        }

        throw Unsupported("+", a, b);
    }

    public static Value Subtract(Value a, Value b)
    {
        if (TryInteger(a, out long x) && TryInteger(b, out long y)) return Integer(() => checked(x - y));
        if (IsNumber(a) && IsNumber(b)) return new FloatValue(Number(a) - Number(b));
        throw Unsupported("-", a, b);
    }

    public static Value Multiply(Value a, Value b)
    {
        if (TryInteger(a, out long x) && TryInteger(b, out long y)) return Integer(() => checked(x * y));
        if (IsNumber(a) && IsNumber(b)) return new FloatValue(Number(a) * Number(b));
        if (a is StringValue or ListValue && TryInteger(b, out long n)) return Repeat(a, n);
        if (b is StringValue or ListValue && TryInteger(a, out long m)) return Repeat(b, m);
        throw Unsupported("*", a, b);
    }

    private static Value Repeat(Value sequence, long count)
    {
        count = Math.Max(0, count);
        long length = sequence is StringValue s ? s.Value.Length : ((ListValue)sequence).Items.Count;
        if (length * count > 64 * 1024 * 1024) throw new TemplateError("repetition result would exceed 64M items");
        if (sequence is StringValue str) return new StringValue(string.Concat(Enumerable.Repeat(str.Value, (int)count)), str.IsMarkup);
        var list = (ListValue)sequence;
        return new ListValue([.. Enumerable.Repeat(list.Items, (int)count).SelectMany(x => x)], list.IsTuple);
    }

    public static Value Divide(Value a, Value b)
    {
        if (!IsNumber(a) || !IsNumber(b)) throw Unsupported("/", a, b);
        double divisor = Number(b);
        if (divisor == 0) throw new TemplateError("division by zero");
        return new FloatValue(Number(a) / divisor);
    }

    public static Value FloorDivide(Value a, Value b)
    {
        if (TryInteger(a, out long x) && TryInteger(b, out long y))
        {
            if (y == 0) throw new TemplateError("integer division or modulo by zero");
            long q = x / y;
            if ((x % y != 0) && ((x < 0) != (y < 0))) q--;
            return IntValue.Of(q);
        }

        if (!IsNumber(a) || !IsNumber(b)) throw Unsupported("//", a, b);
        double d = Number(b);
        if (d == 0) throw new TemplateError("float floor division by zero");
        return new FloatValue(Math.Floor(Number(a) / d));
    }

    public static Value Modulo(Value a, Value b)
    {
        if (a is StringValue format) return PyFormat.Percent(format, b);
        if (TryInteger(a, out long x) && TryInteger(b, out long y))
        {
            if (y == 0) throw new TemplateError("integer division or modulo by zero");
            long r = x % y;
            if (r != 0 && ((r < 0) != (y < 0))) r += y;
            return IntValue.Of(r);
        }

        if (!IsNumber(a) || !IsNumber(b)) throw Unsupported("%", a, b);
        double d = Number(b);
        if (d == 0) throw new TemplateError("float modulo");
        double m = Number(a) % d;
        if (m != 0 && ((m < 0) != (d < 0))) m += d;
        return new FloatValue(m);
    }

    public static Value Power(Value a, Value b)
    {
        if (TryInteger(a, out long x) && TryInteger(b, out long y) && y >= 0)
        {
            return Integer(() =>
            {
                long result = 1;
                for (long i = 0; i < y; i++) result = checked(result * x);
                return result;
            });
        }

        if (!IsNumber(a) || !IsNumber(b)) throw Unsupported("**", a, b);
        return new FloatValue(Math.Pow(Number(a), Number(b)));
    }

    public static Value Negate(Value a) => a switch
    {
        IntValue or BoolValue when TryInteger(a, out long x) => Integer(() => checked(-x)),
        FloatValue f => new FloatValue(-f.Value),
        UndefinedValue u => throw u.Error(),
        _ => throw new TemplateError($"bad operand type for unary -: '{a.TypeName}'"),
    };

    public static Value Plus(Value a) => a switch
    {
        BoolValue b => IntValue.Of(b.Value ? 1 : 0),
        IntValue or FloatValue => a,
        UndefinedValue u => throw u.Error(),
        _ => throw new TemplateError($"bad operand type for unary +: '{a.TypeName}'"),
    };

    private static double Number(Value v) => TryNumber(v, out double d) ? d : 0;

    private static IntValue Integer(Func<long> compute)
    {
        try
        {
            return IntValue.Of(compute());
        }
        catch (OverflowException)
        {
            throw new TemplateError("integer result does not fit in 64 bits");
        }
    }

    private static TemplateError Unsupported(string op, Value a, Value b)
    {
        if (a is UndefinedValue u) return u.Error();
        if (b is UndefinedValue v) return v.Error();
        return new TemplateError($"unsupported operand type(s) for {op}: '{a.TypeName}' and '{b.TypeName}'");
    }
}

/// <summary>Keys of template dicts compare and hash with Python's rules (1, 1.0 and True are one key).</summary>
internal sealed class ValueKeyComparer : IEqualityComparer<Value>
{
    public static readonly ValueKeyComparer Instance = new();

    public bool Equals(Value? x, Value? y) => x is not null && y is not null && Operators.AreEqual(x, y);

    public int GetHashCode(Value value) => value switch
    {
        IntValue i => ((double)i.Value).GetHashCode(),
        BoolValue b => (b.Value ? 1.0 : 0.0).GetHashCode(),
        FloatValue f => f.Value.GetHashCode(),
        StringValue s => s.Value.GetHashCode(StringComparison.Ordinal),
        ListValue { IsTuple: true } t => t.Items.Aggregate(17, (h, item) => HashCode.Combine(h, GetHashCode(item))),
        NoneValue => 0,
        UndefinedValue => 1,
        _ => throw new TemplateError($"unhashable type: '{value.TypeName}'"),
    };
}
