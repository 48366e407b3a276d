using Transformer.Kernels.Tensors;

namespace Transformer.Loader;

/// <summary>
/// Named weight tensors of one model (one or several files), with Hugging Face names.
/// Disposing releases the memory mappings; tensors obtained earlier must not be used after.
/// </summary>
public interface IWeightSource : IDisposable
{
    /// <summary>Where the weights come from (a path), for messages.</summary>
    string Description { get; }

    /// <summary>Every tensor, in file order.</summary>
    IReadOnlyCollection<HostTensor> Tensors { get; }

    /// <summary>Finds a tensor by name.</summary>
    bool TryGet(string name, out HostTensor tensor);
}

/// <summary>Lookups that throw a <see cref="ModelFormatException"/> naming what is missing or misshapen.</summary>
public static class WeightSourceExtensions
{
    /// <summary>The tensor with this name; throws when it is missing.</summary>
    public static HostTensor Get(this IWeightSource source, string name) =>
        source.TryGet(name, out var tensor)
            ? tensor
            : throw new ModelFormatException($"{source.Description}: missing tensor '{InputQuote.Cap(name)}'");

    /// <summary>The tensor with this name and exactly this shape.</summary>
    public static HostTensor Get(this IWeightSource source, string name, params int[] shape)
    {
        var tensor = source.Get(name);
        if (!tensor.Shape.SequenceEqual(shape))
            throw new ModelFormatException(
                $"{source.Description}: tensor '{InputQuote.Cap(name)}' has shape [{string.Join(", ", tensor.Shape)}], the config implies [{string.Join(", ", shape)}]");
        return tensor;
    }
}
