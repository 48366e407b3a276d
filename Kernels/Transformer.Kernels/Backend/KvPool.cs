namespace Transformer.Kernels.Backend;

/// <summary>How keys and values are stored in a <see cref="KvPool"/>.</summary>
public enum KvDType
{
    /// <summary>float32: exact, the reference.</summary>
    F32,
    /// <summary>IEEE half: half the memory, keys and values rounded once when written.</summary>
    F16,
}

/// <summary>
/// The shape of a paged KV pool: <see cref="Blocks"/> blocks of <see cref="BlockSize"/> positions, each
/// holding the keys and values of every layer and KV head for those positions.
/// </summary>
public sealed record KvPoolShape(int Layers, int Blocks, int BlockSize, int KvHeads, int HeadDim, KvDType Type)
{
    /// <summary>Bytes of one stored value.</summary>
    public int ElementBytes => Type == KvDType.F32 ? sizeof(float) : 2;

    /// <summary>Keys and values of one block, all layers: the unit the pool's memory is counted in.</summary>
    public long BytesPerBlock => 2L * Layers * BlockSize * KvHeads * HeadDim * ElementBytes;

    /// <summary>Every block's keys and values.</summary>
    public long TotalBytes => BytesPerBlock * Blocks;

    /// <summary>Positions the whole pool holds.</summary>
    public long Positions => (long)Blocks * BlockSize;

    /// <summary>The most blocks that fit in <paramref name="bytes"/> (at least one).</summary>
    public static int BlocksFor(long bytes, int layers, int blockSize, int kvHeads, int headDim, KvDType type)
    {
        long perBlock = new KvPoolShape(layers, 1, blockSize, kvHeads, headDim, type).BytesPerBlock;
        return (int)Math.Clamp(bytes / perBlock, 1, int.MaxValue / 2);
    }

    /// <summary>Throws when a dimension is not positive.</summary>
    public void Validate()
    {
        if (Layers < 1 || Blocks < 1 || BlockSize < 1 || KvHeads < 1 || HeadDim < 1)
            throw new ArgumentOutOfRangeException(nameof(Blocks), $"a KV pool needs positive dimensions, got {this}");
    }
}

/// <summary>
/// Keys and values of many sequences in fixed-size blocks, held by the backend that computes
/// attention. Which block belongs to which sequence is the caller's bookkeeping, passed to the
/// backend per step as block tables in a <see cref="StepLayout"/>. The contents of a fresh pool are
/// unspecified: every position is written before it is attended.
/// </summary>
public abstract class KvPool : IDisposable
{
    /// <summary>Creates the shape header.</summary>
    protected KvPool(KvPoolShape shape)
    {
        shape.Validate();
        Shape = shape;
    }

    /// <summary>Layers, blocks, block size, heads, head size and storage type.</summary>
    public KvPoolShape Shape { get; }

    /// <summary>Releases the storage.</summary>
    public abstract void Dispose();
}
