using Transformer.Runtime.Evaluation;

namespace Transformer.Runtime.Pruning;

/// <summary>Ranks and rank correlation, for comparing an importance signal with a measured effect.</summary>
public static class Ranking
{
    /// <summary>Ranks 1 … n of <paramref name="values"/> in ascending order, ties sharing their mean rank.</summary>
    public static double[] Ranks(IReadOnlyList<double> values)
    {
        int[] order = [.. Enumerable.Range(0, values.Count).OrderBy(i => values[i])];
        var ranks = new double[values.Count];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            double mean = (start + end) / 2.0 + 1;
            for (int i = start; i <= end; i++) ranks[order[i]] = mean;
            start = end + 1;
        }
        return ranks;
    }

    /// <summary>Spearman's ρ: the Pearson correlation of the ranks (NaN when either series is constant).</summary>
    public static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b) => Statistics.Correlation(Ranks(a), Ranks(b));

    /// <summary>Indices of the <paramref name="count"/> largest values, in index order (ties: the lower index first).</summary>
    public static int[] Largest(IReadOnlyList<double> values, int count)
    {
        if (count < 0 || count > values.Count) throw new ArgumentOutOfRangeException(nameof(count), $"keep {count} of {values.Count}");
        return [.. Enumerable.Range(0, values.Count).OrderByDescending(i => values[i]).ThenBy(i => i).Take(count).Order()];
    }
}
