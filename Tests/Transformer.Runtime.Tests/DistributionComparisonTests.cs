using Transformer.Runtime.Evaluation;

namespace Transformer.Runtime.Tests;

/// <summary>The evaluation statistics on distributions small enough to work out by hand.</summary>
public sealed class DistributionComparisonTests
{
    private static float[] Log(params double[] p) => p.Select(x => (float)Math.Log(x)).ToArray();

    [Fact]
    public void Kl_delta_p_top_agreement_and_perplexities_are_those_of_the_definitions()
    {
        var comparison = new DistributionComparison(topK: 1);
        comparison.Add(Log(0.5, 0.25, 0.25), Log(0.25, 0.5, 0.25), nextToken: 0);
        comparison.Add(Log(0.7, 0.2, 0.1), Log(0.6, 0.3, 0.1), nextToken: 1);

        var s = comparison.Summarize(chunks: 1);

        double kl1 = 0.5 * Math.Log(0.5 / 0.25) + 0.25 * Math.Log(0.25 / 0.5);
        double kl2 = 0.7 * Math.Log(0.7 / 0.6) + 0.2 * Math.Log(0.2 / 0.3);
        Assert.Equal((kl1 + kl2) / 2, s.MeanKl, 6);
        Assert.Equal(Math.Max(kl1, kl2), s.KlQuantiles[0].Value, 6);
        Assert.Equal(((0.25 - 0.5) + (0.3 - 0.2)) / 2, s.MeanDeltaP, 6);
        Assert.Equal(0.5, s.SameTop);                       // the top token differs at the first position only
        Assert.Equal(0.5, s.MeanTopKOverlap);
        Assert.Equal(Math.Exp((-Math.Log(0.5) - Math.Log(0.2)) / 2), s.Base.Perplexity, 5);
        Assert.Equal(Math.Exp((-Math.Log(0.25) - Math.Log(0.3)) / 2), s.Candidate.Perplexity, 5);
        Assert.Equal(s.Candidate.Perplexity / s.Base.Perplexity, s.PerplexityRatio, 5);
    }

    [Fact]
    public void Quantiles_interpolate_between_ranks_and_the_mean_error_is_the_standard_error()
    {
        double[] sorted = [1, 2, 3, 4, 5];
        Assert.Equal(3, Statistics.Quantile(sorted, 0.5));
        Assert.Equal(1.4, Statistics.Quantile(sorted, 0.1), 12);
        Assert.Equal(5, Statistics.Quantile(sorted, 1.0));
        var (mean, error) = Statistics.MeanAndError(sorted);
        Assert.Equal(3, mean);
        Assert.Equal(Math.Sqrt(2.5 / 5), error, 12);
    }

    [Fact]
    public void Windows_are_cut_as_llama_cpp_cuts_them()
    {
        var disjoint = new TextChunks { Context = 8, Stride = 8 };
        Assert.Equal(4, disjoint.FirstScored);
        Assert.Equal(3, disjoint.ScoredPerWindow);          // positions 4, 5, 6 predict tokens 5, 6, 7
        Assert.Equal(2, disjoint.Windows(23));              // whole windows only
        Assert.Equal(3, new TextChunks { Context = 8, Stride = 4 }.Windows(17));
        Assert.Contains("less than one evaluation window", Assert.Throws<ArgumentException>(() => disjoint.Validate(7, 100)).Message);
    }

    [Fact]
    public void Mismatched_rows_or_an_empty_comparison_are_refused()
    {
        var comparison = new DistributionComparison();
        Assert.Throws<ArgumentException>(() => comparison.Add(Log(0.5, 0.5), Log(0.2, 0.3, 0.5), 0));
        Assert.Throws<ArgumentException>(() => comparison.Add(Log(0.5, 0.5), Log(0.5, 0.5), 2));
        Assert.Throws<InvalidOperationException>(() => comparison.Summarize(1));
    }
}
