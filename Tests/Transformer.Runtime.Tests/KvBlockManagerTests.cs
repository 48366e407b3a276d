using Transformer.Runtime.Paging;

namespace Transformer.Runtime.Tests;

/// <summary>The paged pool's bookkeeping: allocation, reference counts, the prefix cache and its LRU eviction.</summary>
public sealed class KvBlockManagerTests
{
    private const int Size = 4;

    private static int[] Tokens(int count, int offset = 0) => Enumerable.Range(offset, count).ToArray();

    /// <summary>A sequence over <paramref name="manager"/> holding <paramref name="tokens"/>, its full blocks published.</summary>
    private static SequenceBlocks Filled(KvBlockManager manager, int[] tokens)
    {
        var blocks = new SequenceBlocks(manager);
        int cached = blocks.AcquirePrefix(tokens, tokens.Length - 1);
        Assert.True(blocks.TryReserve(tokens.Length));
        blocks.PublishFull(tokens);
        Assert.True(cached <= tokens.Length);
        return blocks;
    }

    [Fact]
    public void Allocation_stops_at_the_pool_size_and_released_blocks_come_back()
    {
        var manager = new KvBlockManager(3, Size, prefixCaching: false);
        var a = new SequenceBlocks(manager);
        Assert.True(a.TryReserve(12));
        Assert.Equal(3, a.Count);
        Assert.Equal(0, manager.AvailableBlocks);
        var b = new SequenceBlocks(manager);
        Assert.False(b.TryReserve(1));
        Assert.Equal(0, b.Count);

        a.ReleaseAll();
        Assert.Equal(3, manager.AvailableBlocks);
        Assert.True(b.TryReserve(9));
        Assert.Equal(3, b.Count);
    }

    [Fact]
    public void A_cached_prefix_is_shared_by_reference_and_never_its_last_token()
    {
        var manager = new KvBlockManager(8, Size, prefixCaching: true);
        int[] tokens = Tokens(10);
        var first = Filled(manager, tokens);
        Assert.Equal(2, manager.CachedBlocks); // blocks [0,4) and [4,8); [8,10) is partial

        var second = new SequenceBlocks(manager);
        Assert.Equal(8, second.AcquirePrefix(tokens, tokens.Length - 1));
        Assert.Equal(first.Table[..2].ToArray(), second.Table.ToArray());
        Assert.Equal(2, manager.References(first.Table[0]));

        // A prompt of exactly two blocks reuses only the first: its last token must be computed.
        var exact = new SequenceBlocks(manager);
        Assert.Equal(4, exact.AcquirePrefix(tokens[..8], 7));
    }

    [Fact]
    public void A_prefix_matches_only_with_the_same_tokens_and_the_same_parents()
    {
        var manager = new KvBlockManager(8, Size, prefixCaching: true);
        Filled(manager, Tokens(9));
        var differentFirstBlock = new SequenceBlocks(manager);
        int[] other = Tokens(9);
        other[1] = 99;
        Assert.Equal(0, differentFirstBlock.AcquirePrefix(other, 8));
        var differentSecondBlock = new SequenceBlocks(manager);
        other = Tokens(9);
        other[6] = 99;
        Assert.Equal(4, differentSecondBlock.AcquirePrefix(other, 8));
    }

    [Fact]
    public void Unreferenced_cached_blocks_are_evicted_least_recently_used_first_tail_before_head()
    {
        var manager = new KvBlockManager(4, Size, prefixCaching: true);
        var a = Filled(manager, Tokens(8));          // two cached blocks: a0, a1
        int a0 = a.Table[0], a1 = a.Table[1];
        a.ReleaseAll();                              // released last first: a1 is older in the LRU than a0
        Assert.Equal(4, manager.AvailableBlocks);
        Assert.Equal(2, manager.CachedBlocks);

        var fresh = new SequenceBlocks(manager);
        Assert.True(fresh.TryReserve(12));           // two free blocks, then one eviction
        Assert.Contains(a1, fresh.Table.ToArray());
        Assert.DoesNotContain(a0, fresh.Table.ToArray());
        Assert.Equal(1, manager.CachedBlocks);

        // The head of the prefix is still shared.
        var again = new SequenceBlocks(manager);
        Assert.Equal(4, again.AcquirePrefix(Tokens(8), 7));
        Assert.Equal(a0, again.Table[0]);
    }

    /// <summary>
    /// The hash names a block's content, but a match also checks that the child was published under the very
    /// parent block just matched, so a 64-bit hash collision between parents can never splice two prefixes.
    /// </summary>
    [Fact]
    public void A_child_is_shared_only_through_the_parent_block_it_was_published_under()
    {
        var manager = new KvBlockManager(3, Size, prefixCaching: true);
        Assert.True(manager.TryAllocate(out int a0));
        Assert.True(manager.TryAllocate(out int a1));
        var (h0, g0) = manager.Publish(a0, BlockHash.Root, 0, Tokens(4));
        manager.Publish(a1, h0, g0, Tokens(4, offset: 4));
        manager.Release(a0);                         // the parent leaves first, so it is evicted first
        manager.Release(a1);
        Assert.True(manager.TryAllocate(out int reused));
        Assert.True(manager.TryAllocate(out int other));
        Assert.Equal(a0, other);                     // a0 evicted (the never-used block went first); a1 still cached
        Assert.Equal(1, manager.CachedBlocks);
        manager.Publish(reused, BlockHash.Root, 0, Tokens(4)); // the same first block again, in another block
        manager.Release(reused);
        manager.Release(other);

        var lookup = new SequenceBlocks(manager);
        Assert.Equal(4, lookup.AcquirePrefix(Tokens(9), 8)); // the new parent matches; a1 belonged to the old one
        Assert.Equal(reused, lookup.Table[0]);
    }

    [Fact]
    public void Releasing_more_often_than_taken_is_an_error()
    {
        var manager = new KvBlockManager(2, Size, prefixCaching: false);
        Assert.True(manager.TryAllocate(out int block));
        manager.Release(block);
        Assert.Throws<InvalidOperationException>(() => manager.Release(block));
    }

    [Fact]
    public void The_hash_chain_depends_on_the_parent_and_every_token()
    {
        ulong root = BlockHash.Chain(BlockHash.Root, [1, 2, 3, 4]);
        Assert.NotEqual(root, BlockHash.Chain(BlockHash.Root, [1, 2, 3, 5]));
        Assert.NotEqual(root, BlockHash.Chain(BlockHash.Root, [2, 1, 3, 4]));
        Assert.NotEqual(BlockHash.Chain(root, [1, 2, 3, 4]), root);
        Assert.Equal(root, BlockHash.Chain(BlockHash.Root, [1, 2, 3, 4]));
    }
}
