using Transformer.ChatTemplates.Jinja.Lexing;

namespace Transformer.ChatTemplates.Jinja.Syntax;

/// <summary>
/// Parses tokens into statements, following Jinja2's grammar and its errors. The tags are those of
/// Hugging Face's environment: Jinja2's core tags that need no template loader (if, for, set, macro,
/// filter, with, print, raw), plus the extensions it enables (loopcontrols' break and continue, and
/// <c>{% generation %}</c>). Tags that load other templates (include, import, extends, block) and
/// <c>call</c> blocks are refused with a clear error.
/// </summary>
internal sealed partial class Parser
{
    private static readonly HashSet<string> UnsupportedTags = ["include", "import", "from", "extends", "block", "call", "autoescape"];

    private readonly TokenStream _stream;
    private readonly Stack<(string Tag, SourcePosition Position, string[] EndTags)> _open = new();
    private int _loopDepth;
    private int _depth;

    private Parser(List<Token> tokens) => _stream = new TokenStream(tokens);

    public static IReadOnlyList<Stmt> Parse(string source)
    {
        var parser = new Parser(Lexer.Tokenize(source));
        return parser.ParseBody([]);
    }

    /// <summary>Statements up to one of <paramref name="endTags"/> (left current) or the end of the template.</summary>
    private List<Stmt> ParseBody(string[] endTags)
    {
        var body = new List<Stmt>();
        while (true)
        {
            Token token = _stream.Current;
            switch (token.Kind)
            {
                case TokenKind.Eof:
                    if (endTags.Length > 0) throw UnexpectedEnd();
                    return body;
                case TokenKind.Data:
                    body.Add(new TextStmt(token.Text, token.Position));
                    _stream.Next();
                    break;
                case TokenKind.VariableBegin:
                    _stream.Next();
                    body.Add(new OutputStmt(ParseTuple(withCondition: true), token.Position));
                    _stream.Expect(TokenKind.VariableEnd, "end of print statement");
                    break;
                case TokenKind.BlockBegin:
                    _stream.Next();
                    if (_stream.Current.Kind == TokenKind.Name && endTags.Contains(_stream.Current.Text)) return body;
                    body.AddRange(ParseStatement());
                    _stream.Expect(TokenKind.BlockEnd, "end of statement block");
                    break;
                default:
                    throw _stream.Unexpected("template data or a tag");
            }
        }
    }

    private TemplateError UnexpectedEnd()
    {
        var (tag, position, endTags) = _open.Peek();
        string looking = string.Join(" or ", endTags.Select(t => $"'{t}'"));
        return TemplateError.Syntax($"unexpected end of template: looking for {looking} to close the '{tag}' opened at line {position.Line}", _stream.Current.Position);
    }

    /// <summary>Parses a tag's body after its opening tag: expects the tag's "%}", then statements up to an end tag.</summary>
    private List<Stmt> ParseBlock(string tag, SourcePosition position, params string[] endTags)
    {
        _stream.SkipIfOperator(":");
        _stream.Expect(TokenKind.BlockEnd, "end of statement block");
        _open.Push((tag, position, endTags));
        try
        {
            return ParseBody(endTags);
        }
        finally
        {
            _open.Pop();
        }
    }

    private IEnumerable<Stmt> ParseStatement()
    {
        Token tag = _stream.Current;
        if (tag.Kind != TokenKind.Name) throw TemplateError.Syntax("tag name expected", tag.Position);
        if (++_depth > 100) throw TemplateError.Syntax("blocks nested more than 100 deep", tag.Position);
        try
        {
            switch (tag.Text)
            {
                case "if": return [ParseIf()];
                case "for": return [ParseFor()];
                case "set": return [ParseSet()];
                case "macro": return [ParseMacro()];
                case "filter": return [ParseFilterBlock()];
                case "with": return [ParseWith()];
                case "print": return ParsePrint();
                case "generation": return [ParseGeneration()];
                case "break" or "continue": return [ParseLoopControl()];
            }

            if (UnsupportedTags.Contains(tag.Text))
            {
                throw TemplateError.Syntax($"the '{tag.Text}' tag is not supported in chat templates", tag.Position);
            }

            if (_open.Count > 0)
            {
                var (openTag, position, endTags) = _open.Peek();
                string expected = string.Join(" or ", endTags.Select(t => $"'{t}'"));
                throw TemplateError.Syntax($"encountered unknown tag '{tag.Text}'; expected {expected} to close the '{openTag}' opened at line {position.Line}", tag.Position);
            }

            throw TemplateError.Syntax($"encountered unknown tag '{tag.Text}'", tag.Position);
        }
        finally
        {
            _depth--;
        }
    }

    private IfStmt ParseIf()
    {
        Token start = _stream.ExpectName("if");
        var branches = new List<IfBranch>();
        IReadOnlyList<Stmt> otherwise = [];
        while (true)
        {
            Expr test = ParseTuple(withCondition: false);
            var body = ParseBlock("if", start.Position, "elif", "else", "endif");
            branches.Add(new IfBranch(test, body));
            string end = _stream.Next().Text;
            if (end == "elif") continue;
            if (end == "else") otherwise = ParseBlockAndEnd("if", start.Position, "endif");
            break;
        }

        return new IfStmt(branches, otherwise, start.Position);
    }

    /// <summary>A body up to a single end tag, which is consumed.</summary>
    private List<Stmt> ParseBlockAndEnd(string tag, SourcePosition position, string endTag)
    {
        var body = ParseBlock(tag, position, endTag);
        _stream.Next();
        return body;
    }

    private ForStmt ParseFor()
    {
        Token start = _stream.ExpectName("for");
        Target target = ParseAssignTarget(endName: "in");
        _stream.ExpectName("in");
        Expr iterable = ParseTuple(withCondition: false, endName: "recursive");
        Expr? filter = _stream.SkipIfName("if") ? ParseExpression() : null;
        if (_stream.Current.IsName("recursive")) throw TemplateError.Syntax("recursive for loops are not supported", _stream.Current.Position);

        _loopDepth++;
        List<Stmt> body;
        try
        {
            body = ParseBlock("for", start.Position, "endfor", "else");
        }
        finally
        {
            _loopDepth--;
        }

        IReadOnlyList<Stmt> otherwise = _stream.Next().Text == "else" ? ParseBlockAndEnd("for", start.Position, "endfor") : [];
        return new ForStmt(target, iterable, filter, body, otherwise, start.Position);
    }

    private Stmt ParseSet()
    {
        Token start = _stream.ExpectName("set");
        Target target;
        if (_stream.Current.Kind == TokenKind.Name && _stream.Peek.IsOperator("."))
        {
            Token ns = _stream.Next();
            _stream.Next();
            target = new NamespaceTarget(ns.Text, _stream.ExpectName().Text, ns.Position);
        }
        else
        {
            target = ParseAssignTarget(endName: null);
        }

        if (_stream.SkipIfOperator("=")) return new SetStmt(target, ParseTuple(withCondition: true), start.Position);
        var filters = ParseFilterChain(startInline: false);
        var body = ParseBlockAndEnd("set", start.Position, "endset");
        return new SetBlockStmt(target, filters, body, start.Position);
    }

    private MacroStmt ParseMacro()
    {
        Token start = _stream.ExpectName("macro");
        string name = _stream.ExpectName().Text;
        var parameters = new List<MacroParameter>();
        _stream.ExpectOperator("(");
        while (!_stream.Current.IsOperator(")"))
        {
            if (parameters.Count > 0) _stream.ExpectOperator(",");
            if (_stream.Current.IsOperator(")")) break;
            Token parameter = _stream.ExpectName();
            Expr? value = _stream.SkipIfOperator("=") ? ParseExpression() : null;
            if (value is null && parameters.Count > 0 && parameters[^1].Default is not null)
            {
                throw TemplateError.Syntax("non-default argument follows default argument", parameter.Position);
            }

            parameters.Add(new MacroParameter(parameter.Text, value));
        }

        _stream.ExpectOperator(")");
        // A macro's body is its own function: break and continue inside it do not reach an enclosing loop.
        int loops = _loopDepth;
        _loopDepth = 0;
        try
        {
            return new MacroStmt(name, parameters, ParseBlockAndEnd("macro", start.Position, "endmacro"), start.Position);
        }
        finally
        {
            _loopDepth = loops;
        }
    }

    private FilterBlockStmt ParseFilterBlock()
    {
        Token start = _stream.ExpectName("filter");
        var filters = ParseFilterChain(startInline: true);
        return new FilterBlockStmt(filters, ParseBlockAndEnd("filter", start.Position, "endfilter"), start.Position);
    }

    private WithStmt ParseWith()
    {
        Token start = _stream.ExpectName("with");
        var assignments = new List<KeyValuePair<Target, Expr>>();
        while (_stream.Current.Kind != TokenKind.BlockEnd)
        {
            if (assignments.Count > 0) _stream.ExpectOperator(",");
            Target target = ParseAssignTarget(endName: null);
            _stream.ExpectOperator("=");
            assignments.Add(new(target, ParseExpression()));
        }

        return new WithStmt(assignments, ParseBlockAndEnd("with", start.Position, "endwith"), start.Position);
    }

    private List<Stmt> ParsePrint()
    {
        Token start = _stream.ExpectName("print");
        var outputs = new List<Stmt>();
        while (_stream.Current.Kind != TokenKind.BlockEnd)
        {
            if (outputs.Count > 0) _stream.ExpectOperator(",");
            outputs.Add(new OutputStmt(ParseExpression(), start.Position));
        }

        return outputs;
    }

    private BlockStmt ParseGeneration()
    {
        Token start = _stream.ExpectName("generation");
        return new BlockStmt(ParseBlockAndEnd("generation", start.Position, "endgeneration"), start.Position);
    }

    private Stmt ParseLoopControl()
    {
        Token token = _stream.Next();
        if (_loopDepth == 0) throw TemplateError.Syntax($"'{token.Text}' outside of a loop", token.Position);
        return token.Text == "break" ? new BreakStmt(token.Position) : new ContinueStmt(token.Position);
    }

    /// <summary>A name or a tuple of names (<c>for key, value in …</c>).</summary>
    private Target ParseAssignTarget(string? endName)
    {
        SourcePosition position = _stream.Current.Position;
        var items = new List<Target>();
        bool isTuple = false;
        while (true)
        {
            if (items.Count > 0) _stream.ExpectOperator(",");
            if (IsTupleEnd(endName) || _stream.Current.IsOperator("=")) break;
            items.Add(ParseTargetItem());
            if (_stream.Current.IsOperator(",")) isTuple = true;
            else break;
        }

        if (items.Count == 0) throw _stream.Unexpected("a name to assign to");
        return isTuple ? new TupleTarget(items, position) : items[0];
    }

    private Target ParseTargetItem()
    {
        Token token = _stream.Current;
        if (token.IsOperator("("))
        {
            _stream.Next();
            Target inner = ParseAssignTarget(endName: null);
            _stream.ExpectOperator(")");
            return inner;
        }

        if (token.Kind != TokenKind.Name || token.Text is "true" or "false" or "none" or "True" or "False" or "None")
        {
            throw TemplateError.Syntax($"can't assign to '{token.Describe()}'", token.Position);
        }

        _stream.Next();
        return new NameTarget(token.Text, token.Position);
    }
}
