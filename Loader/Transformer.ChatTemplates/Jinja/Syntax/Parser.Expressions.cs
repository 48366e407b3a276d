using Transformer.ChatTemplates.Jinja.Builtins;
using Transformer.ChatTemplates.Jinja.Lexing;
using Transformer.ChatTemplates.Jinja.Runtime;

namespace Transformer.ChatTemplates.Jinja.Syntax;

/// <summary>
/// Expressions, with Jinja2's precedence from loosest to tightest: <c>x if c else y</c>, <c>or</c>,
/// <c>and</c>, <c>not</c>, comparisons (chained, with <c>in</c> and <c>not in</c>), <c>+ -</c>, <c>~</c>,
/// <c>* / // %</c>, <c>**</c>, unary <c>- +</c>, then postfix <c>.attr</c>, <c>[key]</c>, calls, and filters
/// and tests, which bind tighter than any operator (<c>messages|length - 1</c> is <c>(messages|length) - 1</c>).
/// </summary>
internal sealed partial class Parser
{
    private static readonly HashSet<string> CompareOperators = ["==", "!=", "<", "<=", ">", ">="];

    private bool IsTupleEnd(string? endName) =>
        _stream.Current.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd || _stream.Current.IsOperator(")")
        || (endName is not null && _stream.Current.IsName(endName));

    /// <summary>An expression, or a tuple when commas separate several (<c>{% set a = 1, 2 %}</c>).</summary>
    private Expr ParseTuple(bool withCondition, string? endName = null, bool explicitParentheses = false)
    {
        SourcePosition position = _stream.Current.Position;
        var items = new List<Expr>();
        bool isTuple = false;
        while (true)
        {
            if (items.Count > 0) _stream.ExpectOperator(",");
            if (IsTupleEnd(endName)) break;
            items.Add(withCondition ? ParseExpression() : ParseOr());
            if (_stream.Current.IsOperator(",")) isTuple = true;
            else break;
        }

        if (!isTuple)
        {
            if (items.Count > 0) return items[0];
            if (!explicitParentheses) throw _stream.Unexpected("an expression");
        }

        return new TupleExpr(items, position);
    }

    private Expr ParseExpression() => Nested(ParseConditional);

    private Expr ParseConditional()
    {
        SourcePosition position = _stream.Current.Position;
        Expr then = ParseOr();
        while (_stream.SkipIfName("if"))
        {
            Expr test = ParseOr();
            Expr? otherwise = _stream.SkipIfName("else") ? ParseConditional() : null;
            then = new ConditionalExpr(test, then, otherwise, position);
        }

        return then;
    }

    private Expr ParseOr()
    {
        Expr left = ParseAnd();
        while (_stream.Current.IsName("or"))
        {
            SourcePosition position = _stream.Next().Position;
            left = new BinaryExpr(BinaryOperator.Or, left, ParseAnd(), position);
        }

        return left;
    }

    private Expr ParseAnd()
    {
        Expr left = ParseNot();
        while (_stream.Current.IsName("and"))
        {
            SourcePosition position = _stream.Next().Position;
            left = new BinaryExpr(BinaryOperator.And, left, ParseNot(), position);
        }

        return left;
    }

    private Expr ParseNot()
    {
        if (_stream.Current.IsName("not"))
        {
            SourcePosition position = _stream.Next().Position;
            return new UnaryExpr(UnaryOperator.Not, Nested(ParseNot), position);
        }

        return ParseCompare();
    }

    /// <summary>Runs a recursive descent step with a depth limit, so hostile input cannot overflow the stack.</summary>
    private Expr Nested(Func<Expr> parse)
    {
        if (++_depth > 200) throw TemplateError.Syntax("expression nested too deeply", _stream.Current.Position);
        try
        {
            return parse();
        }
        finally
        {
            _depth--;
        }
    }

    private Expr ParseCompare()
    {
        SourcePosition position = _stream.Current.Position;
        Expr first = ParseMath1();
        var rest = new List<KeyValuePair<string, Expr>>();
        while (true)
        {
            Token token = _stream.Current;
            if (token.Kind == TokenKind.Operator && CompareOperators.Contains(token.Text))
            {
                _stream.Next();
                rest.Add(new(token.Text, ParseMath1()));
            }
            else if (token.IsName("in"))
            {
                _stream.Next();
                rest.Add(new("in", ParseMath1()));
            }
            else if (token.IsName("not") && _stream.Peek.IsName("in"))
            {
                _stream.Next();
                _stream.Next();
                rest.Add(new("notin", ParseMath1()));
            }
            else
            {
                break;
            }
        }

        return rest.Count == 0 ? first : new CompareExpr(first, rest, position);
    }

    private Expr ParseMath1()
    {
        Expr left = ParseConcat();
        while (_stream.Current.IsOperator("+") || _stream.Current.IsOperator("-"))
        {
            Token op = _stream.Next();
            left = new BinaryExpr(op.Text == "+" ? BinaryOperator.Add : BinaryOperator.Subtract, left, ParseConcat(), op.Position);
        }

        return left;
    }

    private Expr ParseConcat()
    {
        SourcePosition position = _stream.Current.Position;
        var parts = new List<Expr> { ParseMath2() };
        while (_stream.SkipIfOperator("~")) parts.Add(ParseMath2());
        return parts.Count == 1 ? parts[0] : new ConcatExpr(parts, position);
    }

    private Expr ParseMath2()
    {
        Expr left = ParsePower();
        while (_stream.Current.Kind == TokenKind.Operator && _stream.Current.Text is "*" or "/" or "//" or "%")
        {
            Token op = _stream.Next();
            var kind = op.Text switch
            {
                "*" => BinaryOperator.Multiply,
                "/" => BinaryOperator.Divide,
                "//" => BinaryOperator.FloorDivide,
                _ => BinaryOperator.Modulo,
            };
            left = new BinaryExpr(kind, left, ParsePower(), op.Position);
        }

        return left;
    }

    private Expr ParsePower()
    {
        Expr left = ParseUnary(withFilter: true);
        while (_stream.Current.IsOperator("**"))
        {
            Token op = _stream.Next();
            left = new BinaryExpr(BinaryOperator.Power, left, ParseUnary(withFilter: true), op.Position);
        }

        return left;
    }

    private Expr ParseUnary(bool withFilter)
    {
        Token token = _stream.Current;
        Expr node;
        if (token.IsOperator("-") || token.IsOperator("+"))
        {
            _stream.Next();
            node = new UnaryExpr(token.Text == "-" ? UnaryOperator.Negate : UnaryOperator.Plus, Nested(() => ParseUnary(withFilter: false)), token.Position);
        }
        else
        {
            node = ParsePrimary();
        }

        node = ParsePostfix(node);
        return withFilter ? ParseFilterAndTest(node) : node;
    }

    private Expr ParsePrimary()
    {
        Token token = _stream.Current;
        switch (token.Kind)
        {
            case TokenKind.Name:
                _stream.Next();
                return token.Text switch
                {
                    "true" or "True" => new ConstExpr(BoolValue.True, token.Position),
                    "false" or "False" => new ConstExpr(BoolValue.False, token.Position),
                    "none" or "None" => new ConstExpr(NoneValue.Instance, token.Position),
                    _ => new NameExpr(token.Text, token.Position),
                };
            case TokenKind.String:
                // Adjacent string literals concatenate, as in Python.
                string text = _stream.Next().Text;
                while (_stream.Current.Kind == TokenKind.String) text += _stream.Next().Text;
                return new ConstExpr(new StringValue(text), token.Position);
            case TokenKind.Integer:
                _stream.Next();
                return new ConstExpr(IntValue.Of((long)token.Number!), token.Position);
            case TokenKind.Float:
                _stream.Next();
                return new ConstExpr(new FloatValue((double)token.Number!), token.Position);
        }

        if (token.IsOperator("("))
        {
            _stream.Next();
            Expr inner = ParseTuple(withCondition: true, explicitParentheses: true);
            _stream.ExpectOperator(")");
            return inner;
        }

        if (token.IsOperator("[")) return ParseList();
        if (token.IsOperator("{")) return ParseDict();
        throw TemplateError.Syntax($"unexpected '{token.Describe()}'", token.Position);
    }

    private ListExpr ParseList()
    {
        Token start = _stream.ExpectOperator("[");
        var items = new List<Expr>();
        while (!_stream.Current.IsOperator("]"))
        {
            if (items.Count > 0) _stream.ExpectOperator(",");
            if (_stream.Current.IsOperator("]")) break;
            items.Add(ParseExpression());
        }

        _stream.ExpectOperator("]");
        return new ListExpr(items, start.Position);
    }

    private DictExpr ParseDict()
    {
        Token start = _stream.ExpectOperator("{");
        var items = new List<KeyValuePair<Expr, Expr>>();
        while (!_stream.Current.IsOperator("}"))
        {
            if (items.Count > 0) _stream.ExpectOperator(",");
            if (_stream.Current.IsOperator("}")) break;
            Expr key = ParseExpression();
            _stream.ExpectOperator(":");
            items.Add(new(key, ParseExpression()));
        }

        _stream.ExpectOperator("}");
        return new DictExpr(items, start.Position);
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            Token token = _stream.Current;
            if (token.IsOperator(".") || token.IsOperator("[")) node = ParseSubscript(node);
            else if (token.IsOperator("(")) node = new CallExpr(node, ParseCallArguments(), node.Position);
            else return node;
        }
    }

    private Expr ParseFilterAndTest(Expr node)
    {
        while (true)
        {
            Token token = _stream.Current;
            if (token.IsOperator("|"))
            {
                _stream.Next();
                node = new FilterExpr(node, ParseFilterCall(), token.Position);
            }
            else if (token.IsName("is")) node = ParseTest(node);
            else if (token.IsOperator("(")) node = new CallExpr(node, ParseCallArguments(), node.Position);
            else return node;
        }
    }

    private Expr ParseSubscript(Expr node)
    {
        Token token = _stream.Next();
        if (token.Text == ".")
        {
            Token attribute = _stream.Next();
            if (attribute.Kind == TokenKind.Name) return new GetAttrExpr(node, attribute.Text, token.Position);
            if (attribute.Kind == TokenKind.Integer) return new GetItemExpr(node, new ConstExpr(IntValue.Of((long)attribute.Number!), attribute.Position), token.Position);
            throw TemplateError.Syntax("expected name or number after '.'", attribute.Position);
        }

        var keys = new List<Expr>();
        while (!_stream.Current.IsOperator("]"))
        {
            if (keys.Count > 0) _stream.ExpectOperator(",");
            keys.Add(ParseSubscribed());
        }

        _stream.ExpectOperator("]");
        if (keys.Count == 0) throw TemplateError.Syntax("expected a subscript expression", token.Position);
        Expr key = keys.Count == 1 ? keys[0] : new TupleExpr(keys, token.Position);
        return new GetItemExpr(node, key, token.Position);
    }

    private Expr ParseSubscribed()
    {
        SourcePosition position = _stream.Current.Position;
        Expr? start = null;
        if (!_stream.Current.IsOperator(":"))
        {
            start = ParseExpression();
            if (!_stream.Current.IsOperator(":")) return start;
        }

        _stream.Next();
        Expr? stop = null, step = null;
        if (!_stream.Current.IsOperator("]") && !_stream.Current.IsOperator(",") && !_stream.Current.IsOperator(":")) stop = ParseExpression();
        if (_stream.SkipIfOperator(":"))
        {
            if (!_stream.Current.IsOperator("]") && !_stream.Current.IsOperator(",")) step = ParseExpression();
        }

        return new SliceExpr(start, stop, step, position);
    }

    private CallArguments ParseCallArguments()
    {
        Token start = _stream.ExpectOperator("(");
        var positional = new List<Expr>();
        var named = new List<KeyValuePair<string, Expr>>();
        while (!_stream.Current.IsOperator(")"))
        {
            if (positional.Count + named.Count > 0)
            {
                _stream.ExpectOperator(",");
                if (_stream.Current.IsOperator(")")) break;
            }

            if (_stream.Current.IsOperator("*") || _stream.Current.IsOperator("**"))
            {
                throw TemplateError.Syntax("*args and **kwargs in calls are not supported", _stream.Current.Position);
            }

            if (_stream.Current.Kind == TokenKind.Name && _stream.Peek.IsOperator("="))
            {
                string name = _stream.Next().Text;
                _stream.Next();
                named.Add(new(name, ParseExpression()));
            }
            else
            {
                if (named.Count > 0) throw TemplateError.Syntax("invalid syntax for function call expression: a positional argument after a keyword argument", start.Position);
                positional.Add(ParseExpression());
            }
        }

        _stream.ExpectOperator(")");
        return new CallArguments(positional, named);
    }

    private FilterCall ParseFilterCall()
    {
        Token name = _stream.ExpectName();
        if (!Filters.TryGet(name.Text, out Filter? function)) throw TemplateError.Syntax($"no filter named '{name.Text}'", name.Position);
        CallArguments arguments = _stream.Current.IsOperator("(") ? ParseCallArguments() : CallArguments.None;
        return new FilterCall(name.Text, function, arguments, name.Position);
    }

    /// <summary>Filters after <c>{% filter %}</c> (<paramref name="startInline"/>: the first has no pipe) or <c>{% set x | f %}</c>.</summary>
    private List<FilterCall> ParseFilterChain(bool startInline)
    {
        var filters = new List<FilterCall>();
        while (startInline || _stream.Current.IsOperator("|"))
        {
            if (!startInline) _stream.Next();
            startInline = false;
            filters.Add(ParseFilterCall());
        }

        return filters;
    }

    private Expr ParseTest(Expr node)
    {
        Token isToken = _stream.ExpectName("is");
        bool negated = _stream.SkipIfName("not");
        Token name = _stream.ExpectName();
        if (!Tests.TryGet(name.Text, out Test? function)) throw TemplateError.Syntax($"no test named '{name.Text}'", name.Position);
        CallArguments arguments = CallArguments.None;
        Token next = _stream.Current;
        if (next.IsOperator("("))
        {
            arguments = ParseCallArguments();
        }
        else if ((next.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float || next.IsOperator("[") || next.IsOperator("{"))
            && !next.IsName("else") && !next.IsName("or") && !next.IsName("and"))
        {
            // One argument without parentheses: "x is divisibleby 3", "x is sameas none".
            if (next.IsName("is")) throw TemplateError.Syntax("you cannot chain multiple tests with 'is'", next.Position);
            arguments = new CallArguments([ParsePostfix(ParsePrimary())], []);
        }

        Expr test = new TestExpr(node, name.Text, function, arguments, isToken.Position);
        return negated ? new UnaryExpr(UnaryOperator.Not, test, isToken.Position) : test;
    }
}
