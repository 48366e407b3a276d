using System.Text;
using Transformer.ChatTemplates.Jinja.Python;
using Transformer.ChatTemplates.Jinja.Syntax;

namespace Transformer.ChatTemplates.Jinja.Runtime;

/// <summary>
/// Walks the parsed template: executes statements into the output and evaluates expressions with Jinja2's
/// semantics. One interpreter serves one render (it carries the clock and the cancellation token).
/// </summary>
internal sealed class Interpreter(DateTime now, CancellationToken cancellation)
{
    private const int MaxCallDepth = 200;
    private const long MaxOutputChars = 256L * 1024 * 1024;

    private int _callDepth;

    /// <summary>The local time <c>strftime_now</c> formats.</summary>
    public DateTime Now { get; } = now;

    private enum Flow { Normal, Break, Continue }

    public string Render(IReadOnlyList<Stmt> body, Scope root)
    {
        var output = new StringBuilder();
        Execute(body, root, output);
        return output.ToString();
    }

    /// <summary>Runs a macro body: a call level deeper, stopped before deep recursion overflows the stack.</summary>
    public void ExecuteCall(IReadOnlyList<Stmt> body, Scope scope, StringBuilder output, SourcePosition position)
    {
        if (++_callDepth > MaxCallDepth) throw new TemplateError($"macro calls nested more than {MaxCallDepth} deep (runaway recursion?)", position: position);
        try
        {
            Execute(body, scope, output);
        }
        finally
        {
            _callDepth--;
        }
    }

    private Flow Execute(IReadOnlyList<Stmt> body, Scope scope, StringBuilder output)
    {
        foreach (Stmt statement in body)
        {
            Flow flow;
            try
            {
                flow = Execute(statement, scope, output);
            }
            catch (TemplateError e) when (e.Position is null)
            {
                throw e.At(statement.Position);
            }

            if (flow != Flow.Normal) return flow;
        }

        return Flow.Normal;
    }

    private Flow Execute(Stmt statement, Scope scope, StringBuilder output)
    {
        switch (statement)
        {
            case TextStmt text:
                Append(output, text.Text);
                return Flow.Normal;
            case OutputStmt print:
                Append(output, PyRepr.Str(Evaluate(print.Expression, scope)));
                return Flow.Normal;
            case IfStmt conditional:
                foreach (IfBranch branch in conditional.Branches)
                {
                    if (Operators.IsTrue(Evaluate(branch.Test, scope))) return Execute(branch.Body, scope, output);
                }

                return Execute(conditional.Otherwise, scope, output);
            case ForStmt loop:
                return ExecuteFor(loop, scope, output);
            case SetStmt set:
                Assign(set.Target, Evaluate(set.Value, scope), scope);
                return Flow.Normal;
            case SetBlockStmt setBlock:
                Assign(setBlock.Target, RenderFiltered(setBlock.Body, setBlock.Filters, scope), scope);
                return Flow.Normal;
            case MacroStmt macro:
                scope.Set(macro.Name, new MacroValue(macro, scope));
                return Flow.Normal;
            case FilterBlockStmt filterBlock:
                Append(output, PyRepr.Str(RenderFiltered(filterBlock.Body, filterBlock.Filters, scope)));
                return Flow.Normal;
            case WithStmt with:
                var inner = new Scope(scope);
                var values = with.Assignments.Select(a => Evaluate(a.Value, scope)).ToList();
                for (int i = 0; i < values.Count; i++) Assign(with.Assignments[i].Key, values[i], inner);
                return Execute(with.Body, inner, output);
            case BlockStmt block:
                return Execute(block.Body, scope, output);
            case BreakStmt:
                return Flow.Break;
            case ContinueStmt:
                return Flow.Continue;
            default:
                throw new InvalidOperationException($"unknown statement {statement.GetType().Name}");
        }
    }

    private static void Append(StringBuilder output, string text)
    {
        if (output.Length + (long)text.Length > MaxOutputChars) throw new TemplateError($"the rendered text exceeds {MaxOutputChars / (1024 * 1024)}M characters");
        output.Append(text);
    }

    private Value RenderFiltered(IReadOnlyList<Stmt> body, IReadOnlyList<FilterCall> filters, Scope scope)
    {
        var buffer = new StringBuilder();
        Execute(body, new Scope(scope), buffer);
        Value value = new StringValue(buffer.ToString());
        foreach (FilterCall filter in filters) value = ApplyFilter(filter, value, scope);
        return value;
    }

    private Flow ExecuteFor(ForStmt loop, Scope scope, StringBuilder output)
    {
        var items = new List<Value>();
        foreach (Value item in Iteration.Items(Evaluate(loop.Iterable, scope)))
        {
            if (loop.Filter is not null)
            {
                // The loop filter sees the loop variables but not "loop" itself, as in Jinja2.
                var test = new Scope(scope);
                Assign(loop.Target, item, test);
                if (!Operators.IsTrue(Evaluate(loop.Filter, test))) continue;
            }

            items.Add(item);
        }

        if (items.Count == 0) return Execute(loop.Otherwise, new Scope(scope), output);

        var context = new LoopValue(items);
        for (int i = 0; i < items.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            context.MoveTo(i);
            var iteration = new Scope(scope);
            Assign(loop.Target, items[i], iteration);
            iteration.Set("loop", context);
            if (Execute(loop.Body, iteration, output) == Flow.Break) break;
        }

        return Flow.Normal;
    }

    private void Assign(Target target, Value value, Scope scope)
    {
        switch (target)
        {
            case NameTarget name:
                scope.Set(name.Name, value);
                break;
            case TupleTarget tuple:
                var items = Iteration.Items(value).ToList();
                if (items.Count != tuple.Items.Count)
                {
                    throw new TemplateError(items.Count > tuple.Items.Count
                        ? $"too many values to unpack (expected {tuple.Items.Count})"
                        : $"not enough values to unpack (expected {tuple.Items.Count}, got {items.Count})");
                }

                for (int i = 0; i < items.Count; i++) Assign(tuple.Items[i], items[i], scope);
                break;
            case NamespaceTarget ns:
                if (!scope.TryGet(ns.Namespace, out Value holder) || holder is not NamespaceValue namespaceValue)
                {
                    throw new TemplateError("cannot assign attribute on non-namespace object");
                }

                namespaceValue.Attributes[ns.Attribute] = value;
                break;
        }
    }

    public Value Evaluate(Expr expression, Scope scope)
    {
        try
        {
            return EvaluateNode(expression, scope);
        }
        catch (TemplateError e) when (e.Position is null)
        {
            throw e.At(expression.Position);
        }
    }

    private Value EvaluateNode(Expr expression, Scope scope)
    {
        switch (expression)
        {
            case ConstExpr constant:
                return constant.Value;
            case NameExpr name:
                return scope.TryGet(name.Name, out Value value) ? value : UndefinedValue.Named(name.Name);
            case GetAttrExpr attribute:
                return Attributes.GetAttribute(Evaluate(attribute.Target, scope), attribute.Attribute);
            case GetItemExpr item:
                Value target = Evaluate(item.Target, scope);
                if (item.Key is SliceExpr slice)
                {
                    return Attributes.Slice(target, Optional(slice.Start, scope), Optional(slice.Stop, scope), Optional(slice.Step, scope));
                }

                return Attributes.GetItem(target, Evaluate(item.Key, scope));
            case CallExpr call:
                return Call(Evaluate(call.Callee, scope), EvaluateArguments(call.Arguments, scope));
            case FilterExpr filter:
                return ApplyFilter(filter.Filter, Evaluate(filter.Input, scope), scope);
            case TestExpr test:
                return BoolValue.Of(test.Function(this, Evaluate(test.Input, scope), EvaluateArguments(test.Arguments, scope)));
            case UnaryExpr unary:
                Value operand = Evaluate(unary.Operand, scope);
                return unary.Operator switch
                {
                    UnaryOperator.Not => BoolValue.Of(!Operators.IsTrue(operand)),
                    UnaryOperator.Negate => Operators.Negate(operand),
                    _ => Operators.Plus(operand),
                };
            case BinaryExpr binary:
                return EvaluateBinary(binary, scope);
            case ConcatExpr concat:
                return new StringValue(string.Concat(concat.Parts.Select(p => PyRepr.Str(Evaluate(p, scope)))));
            case CompareExpr compare:
                return EvaluateCompare(compare, scope);
            case ConditionalExpr conditional:
                if (Operators.IsTrue(Evaluate(conditional.Test, scope))) return Evaluate(conditional.Then, scope);
                return conditional.Otherwise is { } otherwise
                    ? Evaluate(otherwise, scope)
                    : new UndefinedValue($"the inline if-expression on line {conditional.Position.Line} evaluated to false and no else section was defined.");
            case ListExpr list:
                return new ListValue([.. list.Items.Select(i => Evaluate(i, scope))]);
            case TupleExpr tuple:
                return new ListValue([.. tuple.Items.Select(i => Evaluate(i, scope))], isTuple: true);
            case DictExpr dict:
                var items = DictValue.NewItems();
                foreach (var (key, item) in dict.Items) items[Operators.Hashable(Evaluate(key, scope))] = Evaluate(item, scope);
                return new DictValue(items);
            case SliceExpr:
                throw new TemplateError("a slice is only allowed inside [ ]");
            default:
                throw new InvalidOperationException($"unknown expression {expression.GetType().Name}");
        }
    }

    private Value? Optional(Expr? expression, Scope scope) => expression is null ? null : Evaluate(expression, scope);

    private Value EvaluateBinary(BinaryExpr binary, Scope scope)
    {
        Value left = Evaluate(binary.Left, scope);
        // and/or short-circuit and return an operand, as in Python.
        if (binary.Operator == BinaryOperator.And) return Operators.IsTrue(left) ? Evaluate(binary.Right, scope) : left;
        if (binary.Operator == BinaryOperator.Or) return Operators.IsTrue(left) ? left : Evaluate(binary.Right, scope);
        Value right = Evaluate(binary.Right, scope);
        return binary.Operator switch
        {
            BinaryOperator.Add => Operators.Add(left, right),
            BinaryOperator.Subtract => Operators.Subtract(left, right),
            BinaryOperator.Multiply => Operators.Multiply(left, right),
            BinaryOperator.Divide => Operators.Divide(left, right),
            BinaryOperator.FloorDivide => Operators.FloorDivide(left, right),
            BinaryOperator.Modulo => Operators.Modulo(left, right),
            _ => Operators.Power(left, right),
        };
    }

    private Value EvaluateCompare(CompareExpr compare, Scope scope)
    {
        Value left = Evaluate(compare.First, scope);
        foreach (var (op, rightExpression) in compare.Rest)
        {
            Value right = Evaluate(rightExpression, scope);
            bool holds = op switch
            {
                "==" => Operators.AreEqual(left, right),
                "!=" => !Operators.AreEqual(left, right),
                "<" => Operators.Compare(left, right, op) < 0,
                "<=" => Operators.Compare(left, right, op) <= 0,
                ">" => Operators.Compare(left, right, op) > 0,
                ">=" => Operators.Compare(left, right, op) >= 0,
                "in" => Operators.Contains(right, left),
                _ => !Operators.Contains(right, left),
            };
            if (!holds) return BoolValue.False;
            left = right;
        }

        return BoolValue.True;
    }

    private Arguments EvaluateArguments(CallArguments arguments, Scope scope)
    {
        if (arguments.Positional.Count == 0 && arguments.Named.Count == 0) return Arguments.None;
        var positional = arguments.Positional.Select(a => Evaluate(a, scope)).ToArray();
        var named = arguments.Named.Select(a => new KeyValuePair<string, Value>(a.Key, Evaluate(a.Value, scope))).ToArray();
        return new Arguments(positional, named);
    }

    private Value ApplyFilter(FilterCall filter, Value input, Scope scope)
    {
        try
        {
            return filter.Function(this, input, EvaluateArguments(filter.Arguments, scope));
        }
        catch (TemplateError e) when (e.Position is null)
        {
            throw e.At(filter.Position);
        }
    }

    public Value Call(Value callee, Arguments arguments) => callee switch
    {
        CallableValue function => function.Call(this, arguments),
        UndefinedValue undefined => throw undefined.Error(),
        _ => throw new TemplateError($"'{callee.TypeName}' object is not callable"),
    };
}
