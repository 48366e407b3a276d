namespace Transformer.Cli.Research;

/// <summary>One candidate next token: its id, logit and softmax probability.</summary>
public readonly record struct TokenProbability(int Id, float Logit, double Probability);

/// <summary>The softmax of one row of logits, and its most likely tokens.</summary>
public static class NextTokenDistribution
{
    /// <summary>
    /// The <paramref name="k"/> highest logits of <paramref name="logits"/> (ties: lower id first), with their
    /// probabilities. The softmax is computed stably: exp(x − max) summed in double, so large logits cannot
    /// overflow and a row of equal logits gives equal probabilities.
    /// </summary>
    /// <exception cref="ArgumentException">The row is empty or holds a NaN; <paramref name="k"/> is below 1.</exception>
    public static TokenProbability[] Top(ReadOnlySpan<float> logits, int k)
    {
        if (logits.IsEmpty) throw new ArgumentException("an empty row of logits has no distribution");
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), $"top-k needs k ≥ 1, got {k}");
        k = Math.Min(k, logits.Length);

        float max = float.NegativeInfinity;
        for (int i = 0; i < logits.Length; i++)
        {
            if (float.IsNaN(logits[i])) throw new ArgumentException($"logit {i} is NaN: the model produced no distribution");
            max = Math.Max(max, logits[i]);
        }
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += Math.Exp((double)logits[i] - max);

        // A min-heap of the best k so far: its root is the candidate the next better one replaces.
        var heap = new PriorityQueue<int, (float Logit, int NegatedId)>(k + 1);
        for (int i = 0; i < logits.Length; i++)
        {
            var priority = (logits[i], -i);
            if (heap.Count < k) heap.Enqueue(i, priority);
            else if (heap.TryPeek(out _, out var worst) && Compare(priority, worst) > 0) heap.EnqueueDequeue(i, priority);
        }
        var top = new TokenProbability[heap.Count];
        for (int slot = top.Length - 1; slot >= 0; slot--)
        {
            int id = heap.Dequeue();
            top[slot] = new TokenProbability(id, logits[id], Math.Exp((double)logits[id] - max) / sum);
        }
        return top;
    }

    private static int Compare((float Logit, int NegatedId) a, (float Logit, int NegatedId) b) =>
        a.Logit != b.Logit ? a.Logit.CompareTo(b.Logit) : a.NegatedId.CompareTo(b.NegatedId);
}
