namespace Transformer.ChatTemplates.Jinja.Lexing;

/// <summary>The kinds of token the lexer produces (Jinja2's, less the ones only line statements use).</summary>
internal enum TokenKind
{
    /// <summary>Template text outside tags, already whitespace-controlled.</summary>
    Data,
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    Operator,
    Eof,
}

/// <summary>One token. <see cref="Text"/> is the decoded value for strings and data, the spelling otherwise.</summary>
internal sealed record Token(TokenKind Kind, string Text, SourcePosition Position)
{
    /// <summary>The number of an Integer (long) or Float (double) token.</summary>
    public object? Number { get; init; }

    public bool IsName(string name) => Kind == TokenKind.Name && Text == name;

    public bool IsOperator(string op) => Kind == TokenKind.Operator && Text == op;

    /// <summary>How Jinja2 names the token in "unexpected ..." messages.</summary>
    public string Describe() => Kind switch
    {
        TokenKind.Eof => "end of template",
        TokenKind.VariableEnd => "end of print statement",
        TokenKind.BlockEnd => "end of statement block",
        TokenKind.VariableBegin => "begin of print statement",
        TokenKind.BlockBegin => "begin of statement block",
        TokenKind.Data => "template data",
        TokenKind.String => "string",
        _ => Text,
    };
}
