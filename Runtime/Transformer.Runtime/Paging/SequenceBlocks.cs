namespace Transformer.Runtime.Paging;

/// <summary>
/// One sequence's block table in a paged pool: the physical block of each logical block of
/// <see cref="KvBlockManager.BlockSize"/> positions, the prefix it shares from the cache, and how far
/// its full blocks have been published for others to share.
/// </summary>
public sealed class SequenceBlocks
{
    private readonly KvBlockManager _manager;
    private readonly List<int> _blocks = [];
    private int _published;
    private ulong _hash = BlockHash.Root;
    private long _generation;

    /// <summary>An empty table over <paramref name="manager"/>'s pool.</summary>
    public SequenceBlocks(KvBlockManager manager) => _manager = manager;

    /// <summary>Physical block of each logical block, in order.</summary>
    public ReadOnlySpan<int> Table => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_blocks);

    /// <summary>Blocks held.</summary>
    public int Count => _blocks.Count;

    /// <summary>Positions the held blocks cover.</summary>
    public int Capacity => _blocks.Count * _manager.BlockSize;

    /// <summary>
    /// Starts the table with the longest cached prefix of <paramref name="tokens"/> (at most
    /// <paramref name="maxTokens"/>) and returns how many tokens it covers: their KV need not be computed.
    /// </summary>
    public int AcquirePrefix(ReadOnlySpan<int> tokens, int maxTokens)
    {
        if (_blocks.Count != 0) throw new InvalidOperationException("a prefix is acquired only by an empty table");
        var (matched, hash, generation) = _manager.AcquirePrefix(tokens, maxTokens, _blocks);
        _published = _blocks.Count;
        _hash = hash;
        _generation = generation;
        return matched;
    }

    /// <summary>Takes blocks until positions [0, <paramref name="length"/>) are covered; false (taking none) when the pool cannot.</summary>
    public bool TryReserve(int length)
    {
        int needed = (length + _manager.BlockSize - 1) / _manager.BlockSize - _blocks.Count;
        if (needed <= 0) return true;
        if (needed > _manager.AvailableBlocks) return false;
        for (int i = 0; i < needed; i++)
        {
            if (!_manager.TryAllocate(out int block)) throw new InvalidOperationException("the KV pool reported free blocks it could not allocate");
            _blocks.Add(block);
        }
        return true;
    }

    /// <summary>Publishes every block that <paramref name="tokens"/> (the sequence's tokens whose KV is written) fills completely.</summary>
    public void PublishFull(ReadOnlySpan<int> tokens)
    {
        int size = _manager.BlockSize;
        while ((_published + 1) * size <= tokens.Length && _published < _blocks.Count)
        {
            (_hash, _generation) = _manager.Publish(_blocks[_published], _hash, _generation, tokens.Slice(_published * size, size));
            _published++;
        }
    }

    /// <summary>Returns every block to the pool, last first, so the cache evicts a prefix's tail before its head.</summary>
    public void ReleaseAll()
    {
        for (int i = _blocks.Count - 1; i >= 0; i--) _manager.Release(_blocks[i]);
        _blocks.Clear();
        _published = 0;
        _hash = BlockHash.Root;
        _generation = 0;
    }
}
