namespace Transformer.ChatTemplates.Jinja;

/// <summary>A 1-based line and column in the template source (after Jinja2's newline normalization).</summary>
internal readonly record struct SourcePosition(int Line, int Column);
