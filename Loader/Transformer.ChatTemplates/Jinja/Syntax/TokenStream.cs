using Transformer.ChatTemplates.Jinja.Lexing;

namespace Transformer.ChatTemplates.Jinja.Syntax;

/// <summary>The tokens with one token of look-ahead, and Jinja2-style "expected …, got …" errors.</summary>
internal sealed class TokenStream(List<Token> tokens)
{
    private int _index;

    public Token Current => tokens[_index];

    public Token Peek => tokens[Math.Min(_index + 1, tokens.Count - 1)];

    public Token Next()
    {
        Token token = Current;
        if (_index < tokens.Count - 1) _index++;
        return token;
    }

    public bool SkipIfName(string name)
    {
        if (!Current.IsName(name)) return false;
        Next();
        return true;
    }

    public bool SkipIfOperator(string op)
    {
        if (!Current.IsOperator(op)) return false;
        Next();
        return true;
    }

    public Token Expect(TokenKind kind, string description)
    {
        if (Current.Kind != kind) throw Unexpected(description);
        return Next();
    }

    public Token ExpectName(string? name = null)
    {
        if (Current.Kind != TokenKind.Name || (name is not null && Current.Text != name)) throw Unexpected(name is null ? "a name" : $"'{name}'");
        return Next();
    }

    public Token ExpectOperator(string op)
    {
        if (!Current.IsOperator(op)) throw Unexpected($"'{op}'");
        return Next();
    }

    public TemplateError Unexpected(string expected) =>
        TemplateError.Syntax($"expected {expected}, got '{Current.Describe()}'", Current.Position);
}
