using Transformer.Loader;

namespace Transformer.Fuzz.Targets;

/// <summary>Reads every byte of every tensor a loader hands out, so a view outside its mapping faults here.</summary>
internal static class TensorViews
{
    public static void ReadAll(IWeightSource source)
    {
        foreach (var tensor in source.Tensors)
        {
            if (!source.TryGet(tensor.Name, out var byName) || !ReferenceEquals(byName, tensor))
                throw new InvalidOperationException($"{source.Description}: tensor '{tensor.Name}' is listed but TryGet does not return it");
            int sum = 0;
            foreach (byte b in tensor.Data.Span) sum += b;
            GC.KeepAlive(sum);
        }
    }
}
