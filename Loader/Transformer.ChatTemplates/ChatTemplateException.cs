namespace Transformer.ChatTemplates;

/// <summary>What went wrong in a chat template.</summary>
public enum ChatTemplateErrorKind
{
    /// <summary>The template does not parse (or names an unknown filter or test).</summary>
    Syntax,

    /// <summary>Rendering failed: a type error, an undefined value used where Jinja2 fails, a bad argument.</summary>
    Runtime,

    /// <summary>The template itself refused the input through <c>raise_exception(message)</c>.</summary>
    Raised,
}

/// <summary>
/// A chat template failed to parse or to render. The message names the template, the line and column and the
/// problem; <see cref="Problem"/> holds the problem alone (for a <see cref="ChatTemplateErrorKind.Raised"/>
/// error, exactly the template's message). A server answers any of these with HTTP 400: the request's
/// messages, or the template chosen for them, cannot be rendered.
/// </summary>
public sealed class ChatTemplateException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ChatTemplateException(ChatTemplateErrorKind kind, string problem, string templateName, int line, int column, Exception? inner = null)
        : base(Describe(kind, problem, templateName, line, column), inner)
    {
        Kind = kind;
        Problem = problem;
        TemplateName = templateName;
        Line = line;
        Column = column;
    }

    /// <summary>Parse error, render error, or the template's own <c>raise_exception</c>.</summary>
    public ChatTemplateErrorKind Kind { get; }

    /// <summary>The problem without the location.</summary>
    public string Problem { get; }

    /// <summary>The template's name (its file, or where in tokenizer_config.json it came from).</summary>
    public string TemplateName { get; }

    /// <summary>1-based line in the template source.</summary>
    public int Line { get; }

    /// <summary>1-based column in the template source.</summary>
    public int Column { get; }

    private static string Describe(ChatTemplateErrorKind kind, string problem, string templateName, int line, int column) => kind switch
    {
        ChatTemplateErrorKind.Syntax => $"{templateName}: line {line}, column {column}: syntax error: {problem}",
        ChatTemplateErrorKind.Raised => $"{templateName}: line {line}, column {column}: the chat template raised an error: {problem}",
        _ => $"{templateName}: line {line}, column {column}: {problem}",
    };
}
