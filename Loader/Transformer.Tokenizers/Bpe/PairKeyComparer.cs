namespace Transformer.Tokenizers.Bpe;

/// <summary>
/// Hashes a merge table's key (left id in the high 32 bits, right id in the low) by a multiplicative mix of all 64 bits.
/// long's own hash is left ^ right, under which every pair with the same XOR collides: with Gemma 3's 514,906 merges over
/// 262,144 ids the lookups walked long chains, and the table lookup took most of the encode time (16.6 s for 3 MB).
/// </summary>
internal sealed class PairKeyComparer : IEqualityComparer<long>
{
    public static PairKeyComparer Instance { get; } = new();

    public bool Equals(long x, long y) => x == y;

    // Fibonacci hashing: the golden-ratio multiplier spreads every input bit over the high half, which is kept.
    public int GetHashCode(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 32);
}
