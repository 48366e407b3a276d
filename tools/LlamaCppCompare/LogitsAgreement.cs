namespace LlamaCppCompare;

/// <summary>
/// How closely one engine's logits follow llama.cpp's over a fixed token sequence: the share of positions whose most
/// likely token is the same, and the mean KL divergence KL(llama.cpp ‖ ours) of the softmax distributions, in nats.
/// </summary>
/// <param name="Positions">Positions compared.</param>
/// <param name="Top1Agreement">Share of positions with the same argmax, in [0, 1].</param>
/// <param name="MeanKl">Mean over positions of KL(baseline ‖ candidate).</param>
public sealed record LogitsAgreement(int Positions, double Top1Agreement, double MeanKl)
{
    /// <summary>Compares two [positions × vocab] logit arrays.</summary>
    /// <exception cref="ArgumentException">The arrays do not hold the same whole number of rows.</exception>
    public static LogitsAgreement Measure(float[] baseline, float[] candidate, int vocab)
    {
        if (baseline.Length != candidate.Length || baseline.Length % vocab != 0 || baseline.Length == 0)
            throw new ArgumentException($"logits of {baseline.Length} and {candidate.Length} values are not the same rows of {vocab}");
        int positions = baseline.Length / vocab, same = 0;
        double kl = 0;
        for (int p = 0; p < positions; p++)
        {
            var b = baseline.AsSpan(p * vocab, vocab);
            var c = candidate.AsSpan(p * vocab, vocab);
            if (ArgMax(b) == ArgMax(c)) same++;
            kl += KlDivergence(b, c);
        }
        return new LogitsAgreement(positions, (double)same / positions, kl / positions);
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static double KlDivergence(ReadOnlySpan<float> p, ReadOnlySpan<float> q)
    {
        double lp = LogSumExp(p), lq = LogSumExp(q), kl = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double logP = p[i] - lp;
            kl += Math.Exp(logP) * (logP - (q[i] - lq));
        }
        return Math.Max(0, kl); // rounding can leave a tiny negative for identical rows
    }

    private static double LogSumExp(ReadOnlySpan<float> x)
    {
        double max = double.NegativeInfinity, sum = 0;
        foreach (float v in x) max = Math.Max(max, v);
        foreach (float v in x) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }
}
