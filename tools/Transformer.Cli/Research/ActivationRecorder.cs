using System.Runtime.InteropServices;
using Transformer.Kernels.Tensors;

namespace Transformer.Cli.Research;

/// <summary>
/// Collects every named activation a model hands its <see cref="Transformer.Runtime.ActivationObserver"/> while it
/// runs one sequence, as one [tokens, width] float32 tensor per name, in the order the model first observed them
/// (its op order). A prompt longer than the prefill chunk arrives in several steps; each lands at its rows.
/// </summary>
public sealed class ActivationRecorder
{
    private readonly Dictionary<string, Recorded> _byName = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    private sealed record Recorded(int Columns, List<(int Start, float[] Values)> Steps);

    /// <summary>The observer to set in <see cref="Transformer.Runtime.ModelOptions.ActivationObserver"/>.</summary>
    public void Observe(string name, int startPosition, int rows, int columns, ReadOnlySpan<float> values)
    {
        if (!_byName.TryGetValue(name, out var recorded))
        {
            _byName[name] = recorded = new Recorded(columns, []);
            _order.Add(name);
        }
        if (recorded.Columns != columns)
            throw new InvalidOperationException($"activation '{name}' was observed with {recorded.Columns} and then {columns} columns");
        recorded.Steps.Add((startPosition, values[..(rows * columns)].ToArray()));
    }

    /// <summary>Names observed so far, in op order.</summary>
    public IReadOnlyList<string> Names => _order;

    /// <summary>
    /// The activations of positions [0, <paramref name="tokens"/>) as tensors named as observed.
    /// </summary>
    /// <exception cref="InvalidOperationException">Some position of an activation was never observed.</exception>
    public IReadOnlyList<HostTensor> Tensors(int tokens)
    {
        var result = new List<HostTensor>(_order.Count);
        foreach (string name in _order)
        {
            var (columns, steps) = _byName[name];
            var values = new float[tokens * columns];
            var seen = new bool[tokens];
            foreach (var (start, stepValues) in steps)
            {
                int rows = stepValues.Length / columns;
                if (start < 0 || start + rows > tokens)
                    throw new InvalidOperationException($"activation '{name}' has rows for positions {start}..{start + rows - 1}, outside the {tokens} tokens run");
                stepValues.CopyTo(values.AsSpan(start * columns));
                seen.AsSpan(start, rows).Fill(true);
            }
            int missing = Array.IndexOf(seen, false);
            if (missing >= 0) throw new InvalidOperationException($"activation '{name}' was not observed at position {missing}");
            result.Add(new HostTensor(name, DType.F32, [tokens, columns], MemoryMarshal.AsBytes(values.AsSpan()).ToArray()));
        }
        return result;
    }
}
