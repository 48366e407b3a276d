namespace Transformer.Runtime.Paging;

/// <summary>
/// The hash chain that names a full KV block by its content: the parent block's hash and the block's
/// token ids. Two blocks with the same hash hold the same prefix (the pool still verifies the tokens
/// and the parent before sharing, so a collision can cost a cache miss but never a wrong answer).
/// Stable across processes and machines (no randomized seed), so a fleet can agree on it.
/// </summary>
public static class BlockHash
{
    /// <summary>The parent hash of a sequence's first block.</summary>
    public const ulong Root = 0xcbf29ce484222325UL;

    /// <summary>Hash of a block of <paramref name="tokens"/> whose parent block hashed to <paramref name="parent"/>.</summary>
    public static ulong Chain(ulong parent, ReadOnlySpan<int> tokens)
    {
        // 64-bit multiply-xorshift mixing per token (splitmix64's finalizer): cheap and well spread.
        ulong h = parent ^ ((ulong)tokens.Length * 0x9e3779b97f4a7c15UL);
        foreach (int token in tokens)
        {
            h ^= (uint)token;
            h *= 0xbf58476d1ce4e5b9UL;
            h ^= h >> 31;
        }
        h ^= h >> 30;
        h *= 0x94d049bb133111ebUL;
        return h ^ (h >> 29);
    }
}
