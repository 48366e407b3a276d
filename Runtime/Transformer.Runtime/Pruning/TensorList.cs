using Transformer.Kernels.Tensors;
using Transformer.Loader;

namespace Transformer.Runtime.Pruning;

/// <summary>Tensors held in memory as a weight source: a pruned model run without writing it out (layer ablations).</summary>
public sealed class TensorList : IWeightSource
{
    private readonly Dictionary<string, HostTensor> _byName;

    /// <summary>Wraps <paramref name="tensors"/>, described as <paramref name="description"/> in messages.</summary>
    public TensorList(string description, IReadOnlyList<HostTensor> tensors)
    {
        Description = description;
        Tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <inheritdoc/>
    public string Description { get; }
    /// <inheritdoc/>
    public IReadOnlyCollection<HostTensor> Tensors { get; }
    /// <inheritdoc/>
    public bool TryGet(string name, out HostTensor tensor) => _byName.TryGetValue(name, out tensor!);
    /// <inheritdoc/>
    public void Dispose() { }
}
