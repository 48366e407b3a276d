namespace Transformer.Runtime.Paging;

/// <summary>
/// The bookkeeping of a paged KV pool: which blocks are free, how many sequences reference each block,
/// and the prefix cache. A full block can be published under its hash chain (<see cref="BlockHash"/>);
/// a later sequence with the same prefix shares it read-only instead of recomputing it. A block nobody
/// references stays cached until its memory is needed, then the least recently used one is evicted.
/// Not thread-safe: one scheduler owns it.
/// </summary>
public sealed class KvBlockManager
{
    private const int None = -1;

    private readonly int[] _references;
    private readonly ulong[] _hash;
    private readonly long[] _generation;        // identity of a block's cached content; changes when reused
    private readonly long[] _parentGeneration;  // the generation of the parent block it was published under
    private readonly int[] _tokens;             // each cached block's token ids, to verify a hash match
    private readonly bool[] _cached;
    private readonly Stack<int> _free = new();
    private readonly Dictionary<ulong, int> _index = [];
    // Unreferenced cached blocks, least recently used first: an intrusive doubly linked list.
    private readonly int[] _prev, _next;
    private int _lruHead = None, _lruTail = None, _evictable;
    private long _nextGeneration = 1;

    /// <summary>Manages <paramref name="blocks"/> blocks of <paramref name="blockSize"/> positions.</summary>
    public KvBlockManager(int blocks, int blockSize, bool prefixCaching)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blocks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        TotalBlocks = blocks;
        BlockSize = blockSize;
        PrefixCaching = prefixCaching;
        _references = new int[blocks];
        _hash = new ulong[blocks];
        _generation = new long[blocks];
        _parentGeneration = new long[blocks];
        _cached = new bool[blocks];
        _tokens = prefixCaching ? new int[checked(blocks * blockSize)] : [];
        _prev = new int[blocks];
        _next = new int[blocks];
        for (int b = blocks - 1; b >= 0; b--) _free.Push(b);
    }

    /// <summary>Blocks in the pool.</summary>
    public int TotalBlocks { get; }
    /// <summary>Positions per block.</summary>
    public int BlockSize { get; }
    /// <summary>Whether full blocks are shared by prefix.</summary>
    public bool PrefixCaching { get; }
    /// <summary>Blocks a new allocation can take: never used, or cached and unreferenced (evictable).</summary>
    public int AvailableBlocks => _free.Count + _evictable;
    /// <summary>Blocks referenced by at least one sequence.</summary>
    public int UsedBlocks => TotalBlocks - AvailableBlocks;
    /// <summary>Blocks holding a published prefix, referenced or not.</summary>
    public int CachedBlocks => _index.Count;
    /// <summary>Prompt tokens looked up in the prefix cache so far.</summary>
    public long LookedUpTokens { get; private set; }
    /// <summary>Of those, tokens found cached (their KV was not recomputed).</summary>
    public long HitTokens { get; private set; }

    /// <summary>How many sequences reference a block (for tests and assertions).</summary>
    public int References(int block) => _references[block];

    /// <summary>Takes a block for a sequence (one reference), evicting the least recently used cached one if none is free.</summary>
    public bool TryAllocate(out int block)
    {
        if (_free.TryPop(out block))
        {
            _references[block] = 1;
            return true;
        }
        if (_lruHead == None) { block = None; return false; }
        block = _lruHead;
        Unlink(block);
        Uncache(block);
        _references[block] = 1;
        return true;
    }

    /// <summary>Drops one reference; an unreferenced block goes back to the free list, or, when cached, to the LRU list.</summary>
    public void Release(int block)
    {
        if (_references[block] <= 0) throw new InvalidOperationException($"KV block {block} released more often than it was taken");
        if (--_references[block] > 0) return;
        if (_cached[block]) Append(block);
        else _free.Push(block);
    }

    /// <summary>
    /// Finds the longest cached run of full blocks that starts <paramref name="tokens"/> (at most
    /// <paramref name="maxTokens"/> tokens), takes a reference on each and appends them to
    /// <paramref name="blocks"/>. Returns the number of tokens covered and the chain state after them.
    /// </summary>
    public (int Tokens, ulong Hash, long Generation) AcquirePrefix(ReadOnlySpan<int> tokens, int maxTokens, List<int> blocks)
    {
        ulong hash = BlockHash.Root;
        long generation = 0;
        int matched = 0;
        if (PrefixCaching)
        {
            int limit = Math.Min(tokens.Length, maxTokens);
            while (matched + BlockSize <= limit)
            {
                var blockTokens = tokens.Slice(matched, BlockSize);
                ulong next = BlockHash.Chain(hash, blockTokens);
                if (!_index.TryGetValue(next, out int block) || _parentGeneration[block] != generation
                    || !_tokens.AsSpan(block * BlockSize, BlockSize).SequenceEqual(blockTokens))
                    break;
                if (_references[block]++ == 0) Unlink(block);
                blocks.Add(block);
                hash = next;
                generation = _generation[block];
                matched += BlockSize;
            }
            LookedUpTokens += tokens.Length;
            HitTokens += matched;
        }
        return (matched, hash, generation);
    }

    /// <summary>
    /// Publishes a sequence's newly filled block (its KV is written) under the hash chain, so later
    /// prefixes can share it. Returns the chain state to publish the next block with. When the same
    /// content is already cached in another block, this block stays private.
    /// </summary>
    public (ulong Hash, long Generation) Publish(int block, ulong parentHash, long parentGeneration, ReadOnlySpan<int> tokens)
    {
        if (tokens.Length != BlockSize) throw new ArgumentException($"a full block has {BlockSize} tokens, got {tokens.Length}");
        ulong hash = BlockHash.Chain(parentHash, tokens);
        if (!PrefixCaching) return (hash, 0);
        if (_index.TryGetValue(hash, out int existing))
        {
            // Identical content already cached: follow its identity so this sequence's later blocks chain to it.
            if (_parentGeneration[existing] == parentGeneration && _tokens.AsSpan(existing * BlockSize, BlockSize).SequenceEqual(tokens))
                return (hash, _generation[existing]);
            return (hash, NewGeneration(block)); // a hash collision: keep the first, this one stays private
        }
        _cached[block] = true;
        _hash[block] = hash;
        _parentGeneration[block] = parentGeneration;
        tokens.CopyTo(_tokens.AsSpan(block * BlockSize, BlockSize));
        _index[hash] = block;
        return (hash, NewGeneration(block));
    }

    private long NewGeneration(int block) => _generation[block] = _nextGeneration++;

    private void Uncache(int block)
    {
        if (!_cached[block]) return;
        _index.Remove(_hash[block]);
        _cached[block] = false;
        _generation[block] = 0;
    }

    private void Append(int block)
    {
        _prev[block] = _lruTail;
        _next[block] = None;
        if (_lruTail != None) _next[_lruTail] = block; else _lruHead = block;
        _lruTail = block;
        _evictable++;
    }

    private void Unlink(int block)
    {
        if (_prev[block] != None) _next[_prev[block]] = _next[block]; else _lruHead = _next[block];
        if (_next[block] != None) _prev[_next[block]] = _prev[block]; else _lruTail = _prev[block];
        _evictable--;
    }
}
