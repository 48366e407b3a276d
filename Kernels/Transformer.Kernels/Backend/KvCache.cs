namespace Transformer.Kernels.Backend;

/// <summary>
/// Keys and values of every layer for one sequence, held by the backend that computes attention.
/// Owned by the sequence; its capacity is the longest context the sequence can reach.
/// </summary>
public abstract class KvCache : IDisposable
{
    /// <summary>Creates the shape header.</summary>
    protected KvCache(int layers, int capacity, int kvHeads, int headDim)
    {
        Layers = layers;
        Capacity = capacity;
        KvHeads = kvHeads;
        HeadDim = headDim;
    }

    /// <summary>Decoder layers.</summary>
    public int Layers { get; }
    /// <summary>Positions each layer can hold.</summary>
    public int Capacity { get; }
    /// <summary>Key/value heads.</summary>
    public int KvHeads { get; }
    /// <summary>Features per head.</summary>
    public int HeadDim { get; }

    /// <summary>Releases the storage.</summary>
    public abstract void Dispose();
}
