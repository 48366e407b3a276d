namespace Transformer.Tokenizers.Bpe;

/// <summary>
/// Looks up what an adjacent pair of token ids merges into. Returns false when the pair does not merge.
/// A lower <paramref name="rank"/> merges first.
/// </summary>
internal delegate bool PairLookup(int leftId, int rightId, out int mergedId, out double rank);

/// <summary>
/// The greedy BPE loop shared by every tokenizer here: repeatedly merge the adjacent pair with the best
/// (lowest) rank, the leftmost one on ties, until no pair merges. That is exactly run.c's loop (which
/// rescans the whole sequence per merge) and Hugging Face's word merge, but done with a heap over a
/// linked list so a long input costs O(n log n) instead of O(n²).
/// </summary>
internal static class PairMerger
{
    /// <summary>Merges <paramref name="ids"/> in place and returns how many ids remain at the front.</summary>
    public static int MergeAll(Span<int> ids, PairLookup lookup)
    {
        int n = ids.Length;
        if (n < 2)
        {
            return n;
        }

        // Linked list over positions; a merged-away position gets removed[pos] = true.
        var next = new int[n];
        var prev = new int[n];
        var removed = new bool[n];
        for (int i = 0; i < n; i++)
        {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }

        // Candidate pairs keyed by (rank, left position): the leftmost of equally ranked pairs wins,
        // as in run.c's strict ">" scan. Entries go stale when a neighbour changes; they carry the ids
        // they were made from so a stale one is recognised and skipped when popped.
        var queue = new PriorityQueue<Candidate, (double Rank, int Left)>();
        var tokens = ids.ToArray();
        for (int i = 0; i + 1 < n; i++)
        {
            Offer(i, i + 1);
        }

        while (queue.TryDequeue(out Candidate c, out _))
        {
            if (removed[c.Left] || removed[c.Right] || next[c.Left] != c.Right
                || tokens[c.Left] != c.LeftId || tokens[c.Right] != c.RightId)
            {
                continue;
            }

            tokens[c.Left] = c.MergedId;
            removed[c.Right] = true;
            int after = next[c.Right];
            next[c.Left] = after;
            if (after >= 0)
            {
                prev[after] = c.Left;
            }

            if (prev[c.Left] >= 0)
            {
                Offer(prev[c.Left], c.Left);
            }

            if (after >= 0)
            {
                Offer(c.Left, after);
            }
        }

        int count = 0;
        for (int i = 0; i >= 0; i = next[i])
        {
            ids[count++] = tokens[i];
        }

        return count;

        void Offer(int left, int right)
        {
            if (lookup(tokens[left], tokens[right], out int merged, out double rank))
            {
                queue.Enqueue(new Candidate(left, right, tokens[left], tokens[right], merged), (rank, left));
            }
        }
    }

    private readonly record struct Candidate(int Left, int Right, int LeftId, int RightId, int MergedId);
}
