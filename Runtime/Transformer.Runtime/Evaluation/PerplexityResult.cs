namespace Transformer.Runtime.Evaluation;

/// <summary>
/// Perplexity over scored positions: exp of the mean negative log-likelihood, with the standard error of
/// that mean carried through the exponential (llama.cpp's "PPL = x +/- e").
/// </summary>
public sealed record PerplexityResult
{
    /// <summary>exp(mean NLL).</summary>
    public required double Perplexity { get; init; }

    /// <summary>Standard error of <see cref="Perplexity"/> (PPL · standard error of the mean NLL).</summary>
    public required double PerplexityError { get; init; }

    /// <summary>Mean negative log-likelihood, nats per token.</summary>
    public required double MeanNegativeLogLikelihood { get; init; }

    /// <summary>Positions scored.</summary>
    public required int TokensScored { get; init; }

    /// <summary>Windows evaluated.</summary>
    public required int Chunks { get; init; }

    /// <summary>Summarises per-position negative log-likelihoods.</summary>
    /// <exception cref="ArgumentException">Nothing was scored.</exception>
    public static PerplexityResult From(IReadOnlyList<double> negativeLogLikelihoods, int chunks)
    {
        if (negativeLogLikelihoods.Count == 0) throw new ArgumentException("no positions were scored");
        var (mean, error) = Statistics.MeanAndError(negativeLogLikelihoods);
        double ppl = Math.Exp(mean);
        return new PerplexityResult
        {
            Perplexity = ppl,
            PerplexityError = ppl * error,
            MeanNegativeLogLikelihood = mean,
            TokensScored = negativeLogLikelihoods.Count,
            Chunks = chunks,
        };
    }
}
