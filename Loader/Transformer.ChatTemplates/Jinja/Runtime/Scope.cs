namespace Transformer.ChatTemplates.Jinja.Runtime;

/// <summary>
/// Variables visible at one point of a render. Jinja2's scoping: each for-loop iteration, macro call and
/// <c>with</c> block gets a child scope, so a <c>{% set %}</c> inside a loop is gone at the next iteration and
/// after the loop (what <c>namespace()</c> exists to get around), while <c>if</c> blocks share their scope.
/// Lookups read through to the parents; assignments write to this scope.
/// </summary>
internal sealed class Scope(Scope? parent)
{
    private Dictionary<string, Value>? _variables;

    public bool TryGet(string name, out Value value)
    {
        for (Scope? scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope._variables is not null && scope._variables.TryGetValue(name, out value!)) return true;
        }

        value = null!;
        return false;
    }

    public Scope? Parent { get; } = parent;

    public void Set(string name, Value value) => (_variables ??= new(StringComparer.Ordinal))[name] = value;
}
