using Transformer.Loader;

namespace Transformer.Tokenizers.Bpe;

/// <summary>
/// The merges of a Hugging Face BPE model by id pair: what a pair of pieces merges into and at which rank (lower
/// merges first), the lookup <see cref="PairMerger"/> runs on.
/// </summary>
internal sealed class MergeTable
{
    private readonly Dictionary<long, (int Merged, int Rank)> _merges = new(PairKeyComparer.Instance);

    /// <summary>Reads merges in rank order; every piece a merge names, and its result, must be in <paramref name="vocab"/>.</summary>
    /// <exception cref="ModelFormatException">A merge names a piece missing from the vocabulary.</exception>
    public MergeTable(IEnumerable<(string Left, string Right)> merges, Dictionary<string, int> vocab, string sourceName)
    {
        int rank = 0;
        foreach ((string a, string b) in merges)
        {
            if (!vocab.TryGetValue(a, out int left) || !vocab.TryGetValue(b, out int right) || !vocab.TryGetValue(a + b, out int merged))
            {
                throw new ModelFormatException($"{sourceName}: merge {rank} (\"{InputQuote.Cap(a)}\" + \"{InputQuote.Cap(b)}\") names a piece missing from the vocabulary.");
            }

            _merges.TryAdd(PairKey(left, right), (merged, rank)); // a repeated merge keeps its first (best) rank
            rank++;
        }
    }

    /// <summary>A <see cref="PairLookup"/>: whether the pair merges, into what and at which rank.</summary>
    public bool TryMerge(int left, int right, out int merged, out double rank)
    {
        if (_merges.TryGetValue(PairKey(left, right), out (int Merged, int Rank) m))
        {
            (merged, rank) = (m.Merged, m.Rank);
            return true;
        }

        (merged, rank) = (0, 0);
        return false;
    }

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;
}
