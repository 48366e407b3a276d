namespace Transformer.ChatTemplates.Jinja;

/// <summary>
/// A failure inside the interpreter, thrown where the problem is known but perhaps not the position; the
/// evaluator fills in the position of the innermost node it was working on, and <see cref="ChatTemplate"/>
/// turns it into the public <see cref="ChatTemplateException"/>.
/// </summary>
internal sealed class TemplateError : Exception
{
    public TemplateError(string problem, ChatTemplateErrorKind kind = ChatTemplateErrorKind.Runtime, SourcePosition? position = null)
        : base(problem)
    {
        Kind = kind;
        Position = position;
    }

    public ChatTemplateErrorKind Kind { get; }

    public SourcePosition? Position { get; }

    public TemplateError At(SourcePosition position) => Position is null ? new TemplateError(Message, Kind, position) : this;

    public static TemplateError Syntax(string problem, SourcePosition position) => new(problem, ChatTemplateErrorKind.Syntax, position);
}
