namespace Transformer.ChatTemplates.Jinja.Syntax;

/// <summary>A statement node of the template body.</summary>
internal abstract record Stmt(SourcePosition Position);

internal sealed record TextStmt(string Text, SourcePosition Position) : Stmt(Position);

/// <summary><c>{{ expr }}</c> (and <c>{% print expr %}</c>).</summary>
internal sealed record OutputStmt(Expr Expression, SourcePosition Position) : Stmt(Position);

internal sealed record IfBranch(Expr Test, IReadOnlyList<Stmt> Body);

internal sealed record IfStmt(IReadOnlyList<IfBranch> Branches, IReadOnlyList<Stmt> Otherwise, SourcePosition Position) : Stmt(Position);

/// <summary><c>{% for target in iterable [if filter] %}body{% else %}otherwise{% endfor %}</c>.</summary>
internal sealed record ForStmt(Target Target, Expr Iterable, Expr? Filter, IReadOnlyList<Stmt> Body, IReadOnlyList<Stmt> Otherwise, SourcePosition Position)
    : Stmt(Position);

internal sealed record SetStmt(Target Target, Expr Value, SourcePosition Position) : Stmt(Position);

/// <summary><c>{% set x [| filters] %}body{% endset %}</c>: the rendered body, filtered, is assigned.</summary>
internal sealed record SetBlockStmt(Target Target, IReadOnlyList<FilterCall> Filters, IReadOnlyList<Stmt> Body, SourcePosition Position) : Stmt(Position);

internal sealed record MacroParameter(string Name, Expr? Default);

internal sealed record MacroStmt(string Name, IReadOnlyList<MacroParameter> Parameters, IReadOnlyList<Stmt> Body, SourcePosition Position) : Stmt(Position);

internal sealed record BreakStmt(SourcePosition Position) : Stmt(Position);

internal sealed record ContinueStmt(SourcePosition Position) : Stmt(Position);

/// <summary><c>{% filter f %}body{% endfilter %}</c>.</summary>
internal sealed record FilterBlockStmt(IReadOnlyList<FilterCall> Filters, IReadOnlyList<Stmt> Body, SourcePosition Position) : Stmt(Position);

/// <summary><c>{% with a = 1, b = 2 %}body{% endwith %}</c>: the body in a new scope.</summary>
internal sealed record WithStmt(IReadOnlyList<KeyValuePair<Target, Expr>> Assignments, IReadOnlyList<Stmt> Body, SourcePosition Position) : Stmt(Position);

/// <summary>
/// A body rendered in place. Hugging Face's <c>{% generation %}</c> tag (its AssistantTracker extension)
/// only records where assistant text lies; the text itself renders unchanged.
/// </summary>
internal sealed record BlockStmt(IReadOnlyList<Stmt> Body, SourcePosition Position) : Stmt(Position);

/// <summary>Where a for loop or set stores values.</summary>
internal abstract record Target(SourcePosition Position);

internal sealed record NameTarget(string Name, SourcePosition Position) : Target(Position);

internal sealed record TupleTarget(IReadOnlyList<Target> Items, SourcePosition Position) : Target(Position);

/// <summary><c>ns.attribute</c> in <c>{% set ns.attribute = … %}</c>.</summary>
internal sealed record NamespaceTarget(string Namespace, string Attribute, SourcePosition Position) : Target(Position);
