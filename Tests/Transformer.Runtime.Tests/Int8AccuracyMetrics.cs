namespace Transformer.Runtime.Tests;

/// <summary>How far int8 logits are from float32 logits, position by position.</summary>
internal sealed record Int8AccuracyMetrics(int Positions, int Top1Agreements, double MeanKl, double MaxKl, float MaxAbsLogitDiff, float LargestFlipMargin)
{
    public double Top1Agreement => (double)Top1Agreements / Positions;

    public override string ToString() =>
        $"top-1 agreement {Top1Agreements}/{Positions} ({Top1Agreement:P1}), KL(f32||int8) mean {MeanKl:E3} max {MaxKl:E3} nats, max |Δlogit| {MaxAbsLogitDiff:F4}, largest f32 top-2 margin at a top-1 flip {LargestFlipMargin:F4}";

    /// <summary>Compares [positions, vocab] logits: top-1 agreement and KL(softmax(f32) || softmax(int8)) per position.</summary>
    public static Int8AccuracyMetrics Compare(float[] f32, float[] int8, int vocab)
    {
        Assert.Equal(f32.Length, int8.Length);
        int positions = f32.Length / vocab, agree = 0;
        double klSum = 0, klMax = 0;
        float maxDiff = 0, flipMargin = 0;
        for (int p = 0; p < positions; p++)
        {
            var a = f32.AsSpan(p * vocab, vocab);
            var b = int8.AsSpan(p * vocab, vocab);
            if (Argmax(a) == Argmax(b)) agree++;
            else flipMargin = MathF.Max(flipMargin, Top2Margin(a));
            double kl = KlDivergence(a, b);
            klSum += kl;
            klMax = Math.Max(klMax, kl);
            for (int i = 0; i < vocab; i++) maxDiff = MathF.Max(maxDiff, MathF.Abs(a[i] - b[i]));
        }
        return new Int8AccuracyMetrics(positions, agree, klSum / positions, klMax, maxDiff, flipMargin);
    }

    /// <summary>KL(softmax(p) || softmax(q)) in nats, in double precision from log-softmaxes.</summary>
    public static double KlDivergence(ReadOnlySpan<float> pLogits, ReadOnlySpan<float> qLogits)
    {
        double pLse = LogSumExp(pLogits), qLse = LogSumExp(qLogits), kl = 0;
        for (int i = 0; i < pLogits.Length; i++)
        {
            double logP = pLogits[i] - pLse, logQ = qLogits[i] - qLse;
            kl += Math.Exp(logP) * (logP - logQ);
        }
        // Rounding can leave a tiny negative for identical distributions; KL itself is never negative.
        return Math.Max(kl, 0);
    }

    /// <summary>Largest minus second-largest value.</summary>
    public static float Top2Margin(ReadOnlySpan<float> values)
    {
        int best = Argmax(values);
        float second = float.NegativeInfinity;
        for (int i = 0; i < values.Length; i++) if (i != best) second = MathF.Max(second, values[i]);
        return values[best] - second;
    }

    public static int Argmax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static double LogSumExp(ReadOnlySpan<float> values)
    {
        double max = double.NegativeInfinity, sum = 0;
        foreach (float v in values) max = Math.Max(max, v);
        foreach (float v in values) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }
}
