using Transformer.Cli.Research;

namespace Transformer.Cli.Tests;

/// <summary>The softmax and top-k behind <c>transformer logits --top</c>.</summary>
public sealed class NextTokenDistributionTests
{
    [Fact]
    public void Huge_logits_give_finite_probabilities_that_sum_to_one()
    {
        float[] logits = [1000f, 1000f, 999f, -1000f];

        var top = NextTokenDistribution.Top(logits, 4);

        double e = Math.Exp(-1);
        Assert.Equal([0, 1, 2, 3], top.Select(t => t.Id));
        Assert.Equal(1 / (2 + e), top[0].Probability, 1e-12);
        Assert.Equal(1 / (2 + e), top[1].Probability, 1e-12);
        Assert.Equal(e / (2 + e), top[2].Probability, 1e-12);
        Assert.Equal(1.0, top.Sum(t => t.Probability), 1e-12);
    }

    [Fact]
    public void Top_k_is_the_k_largest_most_likely_first_ties_by_lower_id()
    {
        float[] logits = [0.5f, 3f, -2f, 3f, 1f, float.NegativeInfinity];

        Assert.Equal([1, 3, 4], NextTokenDistribution.Top(logits, 3).Select(t => t.Id));
        Assert.Equal([1, 3, 4, 0, 2, 5], NextTokenDistribution.Top(logits, 99).Select(t => t.Id));
        Assert.Equal(0, NextTokenDistribution.Top(logits, 6)[^1].Probability);
    }

    [Fact]
    public void Top_k_matches_a_full_sort_on_random_rows()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 50; trial++)
        {
            float[] logits = [.. Enumerable.Range(0, 1 + random.Next(300)).Select(_ => (float)Math.Round(random.NextDouble() * 20 - 10, 1))];
            int k = 1 + random.Next(logits.Length + 2);
            int[] expected = [.. Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ThenBy(i => i).Take(k)];
            Assert.Equal(expected, NextTokenDistribution.Top(logits, k).Select(t => t.Id));
        }
    }

    [Fact]
    public void A_nan_logit_or_an_empty_row_is_an_error()
    {
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => NextTokenDistribution.Top([1f, float.NaN], 1)).Message);
        Assert.Throws<ArgumentException>(() => NextTokenDistribution.Top([], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => NextTokenDistribution.Top([1f], 0));
    }
}
