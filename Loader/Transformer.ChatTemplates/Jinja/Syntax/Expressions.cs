using Transformer.ChatTemplates.Jinja.Builtins;
using Transformer.ChatTemplates.Jinja.Runtime;

namespace Transformer.ChatTemplates.Jinja.Syntax;

/// <summary>An expression node; <see cref="Position"/> is where errors in it are reported.</summary>
internal abstract record Expr(SourcePosition Position);

internal sealed record ConstExpr(Value Value, SourcePosition Position) : Expr(Position);

internal sealed record NameExpr(string Name, SourcePosition Position) : Expr(Position);

/// <summary><c>x.name</c>: Python attribute first, then item (Jinja2's <c>getattr</c>).</summary>
internal sealed record GetAttrExpr(Expr Target, string Attribute, SourcePosition Position) : Expr(Position);

/// <summary><c>x[key]</c> and <c>x.0</c>: item first, then attribute (Jinja2's <c>getitem</c>).</summary>
internal sealed record GetItemExpr(Expr Target, Expr Key, SourcePosition Position) : Expr(Position);

/// <summary><c>start:stop:step</c> inside brackets.</summary>
internal sealed record SliceExpr(Expr? Start, Expr? Stop, Expr? Step, SourcePosition Position) : Expr(Position);

internal sealed record CallArguments(IReadOnlyList<Expr> Positional, IReadOnlyList<KeyValuePair<string, Expr>> Named)
{
    public static readonly CallArguments None = new([], []);
}

internal sealed record CallExpr(Expr Callee, CallArguments Arguments, SourcePosition Position) : Expr(Position);

/// <summary>One filter application, resolved to its implementation when parsed (Jinja2 rejects unknown filters at compile time).</summary>
internal sealed record FilterCall(string Name, Filter Function, CallArguments Arguments, SourcePosition Position);

internal sealed record FilterExpr(Expr Input, FilterCall Filter, SourcePosition Position) : Expr(Position);

internal sealed record TestExpr(Expr Input, string Name, Test Function, CallArguments Arguments, SourcePosition Position) : Expr(Position);

internal enum UnaryOperator { Not, Negate, Plus }

internal sealed record UnaryExpr(UnaryOperator Operator, Expr Operand, SourcePosition Position) : Expr(Position);

internal enum BinaryOperator { Add, Subtract, Multiply, Divide, FloorDivide, Modulo, Power, And, Or }

internal sealed record BinaryExpr(BinaryOperator Operator, Expr Left, Expr Right, SourcePosition Position) : Expr(Position);

/// <summary><c>a ~ b ~ c</c>: the parts' str() joined.</summary>
internal sealed record ConcatExpr(IReadOnlyList<Expr> Parts, SourcePosition Position) : Expr(Position);

/// <summary>A comparison chain <c>a &lt; b &lt;= c</c>; operators are "==", "!=", "&lt;", "&lt;=", "&gt;", "&gt;=", "in", "notin".</summary>
internal sealed record CompareExpr(Expr First, IReadOnlyList<KeyValuePair<string, Expr>> Rest, SourcePosition Position) : Expr(Position);

/// <summary><c>then if test else otherwise</c>; without else, false gives an Undefined.</summary>
internal sealed record ConditionalExpr(Expr Test, Expr Then, Expr? Otherwise, SourcePosition Position) : Expr(Position);

internal sealed record ListExpr(IReadOnlyList<Expr> Items, SourcePosition Position) : Expr(Position);

internal sealed record TupleExpr(IReadOnlyList<Expr> Items, SourcePosition Position) : Expr(Position);

internal sealed record DictExpr(IReadOnlyList<KeyValuePair<Expr, Expr>> Items, SourcePosition Position) : Expr(Position);
