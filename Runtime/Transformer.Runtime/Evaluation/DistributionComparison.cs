namespace Transformer.Runtime.Evaluation;

/// <summary>
/// A candidate model's distributions against a base model's at the same positions: what llama.cpp's
/// perplexity tool reports in its KL-divergence mode (both perplexities and their ratio, KL(base ‖ candidate)
/// quantiles, the change Δp in the probability of the true next token, how often the top token agrees), plus
/// the overlap of the two top-k sets.
/// </summary>
public sealed class DistributionComparison(int topK = 10)
{
    private readonly List<double> _baseNll = [], _candidateNll = [], _kl = [], _deltaP = [], _topOverlap = [];
    private int _sameTop;

    /// <summary>Size of the top-k sets compared.</summary>
    public int TopK { get; } = topK > 0 ? topK : throw new ArgumentOutOfRangeException(nameof(topK), topK, "top-k must be positive");

    /// <summary>Positions compared so far.</summary>
    public int Count => _kl.Count;

    /// <summary>Adds one position: both models' log-softmax rows and the token that actually follows.</summary>
    /// <exception cref="ArgumentException">The rows differ in length or the token is outside them.</exception>
    public void Add(ReadOnlySpan<float> baseLogProbabilities, ReadOnlySpan<float> candidateLogProbabilities, int nextToken)
    {
        if (baseLogProbabilities.Length != candidateLogProbabilities.Length)
            throw new ArgumentException($"the base has {baseLogProbabilities.Length} vocabulary entries, the candidate {candidateLogProbabilities.Length}");
        if ((uint)nextToken >= (uint)baseLogProbabilities.Length) throw new ArgumentException($"token {nextToken} is outside the vocabulary");
        double kl = 0;
        int baseTop = 0, candidateTop = 0;
        for (int i = 0; i < baseLogProbabilities.Length; i++)
        {
            double lb = baseLogProbabilities[i];
            kl += Math.Exp(lb) * (lb - candidateLogProbabilities[i]);
            if (baseLogProbabilities[i] > baseLogProbabilities[baseTop]) baseTop = i;
            if (candidateLogProbabilities[i] > candidateLogProbabilities[candidateTop]) candidateTop = i;
        }
        // Rounding can leave a tiny negative sum for identical distributions; KL itself is never negative.
        _kl.Add(Math.Max(0, kl));
        _baseNll.Add(-baseLogProbabilities[nextToken]);
        _candidateNll.Add(-candidateLogProbabilities[nextToken]);
        _deltaP.Add(Math.Exp(candidateLogProbabilities[nextToken]) - Math.Exp(baseLogProbabilities[nextToken]));
        if (baseTop == candidateTop) _sameTop++;
        _topOverlap.Add(TopOverlap(baseLogProbabilities, candidateLogProbabilities));
    }

    /// <summary>The statistics of everything added.</summary>
    /// <exception cref="InvalidOperationException">Nothing was added.</exception>
    public DistributionStatistics Summarize(int chunks)
    {
        if (Count == 0) throw new InvalidOperationException("no positions were compared");
        var candidate = PerplexityResult.From(_candidateNll, chunks);
        var baseline = PerplexityResult.From(_baseNll, chunks);
        var logRatio = _candidateNll.Zip(_baseNll, (c, b) => c - b).ToList();
        var (meanLogRatio, logRatioError) = Statistics.MeanAndError(logRatio);
        var (meanKl, klError) = Statistics.MeanAndError(_kl);
        var (meanDeltaP, deltaPError) = Statistics.MeanAndError(_deltaP);
        var sortedKl = _kl.Order().ToList();
        var sortedDeltaP = _deltaP.Order().ToList();
        double sameTop = (double)_sameTop / Count;
        return new DistributionStatistics
        {
            Candidate = candidate,
            Base = baseline,
            LogProbabilityCorrelation = Statistics.Correlation(_candidateNll, _baseNll),
            MeanLogPerplexityRatio = meanLogRatio,
            MeanLogPerplexityRatioError = logRatioError,
            PerplexityRatio = Math.Exp(meanLogRatio),
            PerplexityRatioError = Math.Exp(meanLogRatio) * logRatioError,
            PerplexityDifference = candidate.Perplexity - baseline.Perplexity,
            MeanKl = meanKl,
            MeanKlError = klError,
            KlQuantiles = Quantiles(sortedKl, [1.0, 0.999, 0.99, 0.5, 0.1, 0.05, 0.01, 0.0]),
            MeanDeltaP = meanDeltaP,
            MeanDeltaPError = deltaPError,
            DeltaPQuantiles = Quantiles(sortedDeltaP, [1.0, 0.999, 0.99, 0.95, 0.9, 0.75, 0.5, 0.25, 0.1, 0.05, 0.01, 0.001, 0.0]),
            RmsDeltaP = Math.Sqrt(_deltaP.Sum(d => d * d) / Count),
            SameTop = sameTop,
            SameTopError = Math.Sqrt(sameTop * (1 - sameTop) / Count),
            TopK = TopK,
            MeanTopKOverlap = _topOverlap.Average(),
            Positions = Count,
        };
    }

    private static IReadOnlyList<(double Fraction, double Value)> Quantiles(IReadOnlyList<double> sorted, double[] fractions) =>
        fractions.Select(f => (f, Statistics.Quantile(sorted, f))).ToArray();

    /// <summary>|top-k(base) ∩ top-k(candidate)| / k.</summary>
    private double TopOverlap(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int k = Math.Min(TopK, a.Length);
        var topA = TopIndices(a, k);
        var topB = TopIndices(b, k);
        return (double)topA.Intersect(topB).Count() / k;
    }

    private static HashSet<int> TopIndices(ReadOnlySpan<float> values, int k)
    {
        var indices = new int[values.Length];
        for (int i = 0; i < indices.Length; i++) indices[i] = i;
        var keys = values.ToArray();
        // Highest first; ties by lower id, so the set is deterministic.
        Array.Sort(indices, (x, y) => keys[y] != keys[x] ? keys[y].CompareTo(keys[x]) : x.CompareTo(y));
        return [.. indices.AsSpan(0, k)];
    }
}

/// <summary>What <see cref="DistributionComparison"/> measured.</summary>
public sealed record DistributionStatistics
{
    /// <summary>Perplexity of the candidate.</summary>
    public required PerplexityResult Candidate { get; init; }
    /// <summary>Perplexity of the base.</summary>
    public required PerplexityResult Base { get; init; }
    /// <summary>Pearson correlation of the two models' per-token log-likelihoods.</summary>
    public required double LogProbabilityCorrelation { get; init; }
    /// <summary>Mean of ln p_base − ln p_candidate of the true token: ln(PPL(Q)/PPL(base)).</summary>
    public required double MeanLogPerplexityRatio { get; init; }
    /// <summary>Its standard error.</summary>
    public required double MeanLogPerplexityRatioError { get; init; }
    /// <summary>PPL(Q)/PPL(base).</summary>
    public required double PerplexityRatio { get; init; }
    /// <summary>Its standard error.</summary>
    public required double PerplexityRatioError { get; init; }
    /// <summary>PPL(Q) − PPL(base).</summary>
    public required double PerplexityDifference { get; init; }
    /// <summary>Mean KL(base ‖ candidate), nats.</summary>
    public required double MeanKl { get; init; }
    /// <summary>Its standard error.</summary>
    public required double MeanKlError { get; init; }
    /// <summary>KL quantiles, highest fraction first (1.0 is the maximum, 0.0 the minimum).</summary>
    public required IReadOnlyList<(double Fraction, double Value)> KlQuantiles { get; init; }
    /// <summary>Mean of p_candidate − p_base of the true token.</summary>
    public required double MeanDeltaP { get; init; }
    /// <summary>Its standard error.</summary>
    public required double MeanDeltaPError { get; init; }
    /// <summary>Δp quantiles, highest fraction first.</summary>
    public required IReadOnlyList<(double Fraction, double Value)> DeltaPQuantiles { get; init; }
    /// <summary>Root mean square of Δp.</summary>
    public required double RmsDeltaP { get; init; }
    /// <summary>Fraction of positions where both models' most likely token is the same.</summary>
    public required double SameTop { get; init; }
    /// <summary>Its standard error.</summary>
    public required double SameTopError { get; init; }
    /// <summary>Size of the compared top-k sets.</summary>
    public required int TopK { get; init; }
    /// <summary>Mean |top-k(base) ∩ top-k(candidate)| / k.</summary>
    public required double MeanTopKOverlap { get; init; }
    /// <summary>Positions compared.</summary>
    public required int Positions { get; init; }
}
