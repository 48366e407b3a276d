namespace Transformer.Serving;

/// <summary>Log-probabilities of a row of logits: log softmax, and the most likely tokens.</summary>
internal static class TokenLogprobs
{
    /// <summary>log Σ exp(logits), computed stably around the maximum.</summary>
    public static float LogSumExp(ReadOnlySpan<float> logits)
    {
        float max = System.Numerics.Tensors.TensorPrimitives.Max(logits);
        double sum = 0;
        foreach (float l in logits) sum += Math.Exp(l - max);
        return max + (float)Math.Log(sum);
    }

    /// <summary>The <paramref name="count"/> most likely tokens, most likely first (lower id first on ties).</summary>
    public static TokenLogprob[] Top(ReadOnlySpan<float> logits, float logSumExp, int count)
    {
        count = Math.Min(count, logits.Length);
        var tokens = new int[count];
        var values = new float[count];
        int filled = 0;
        for (int token = 0; token < logits.Length; token++)
        {
            float l = logits[token];
            if (filled == count && (count == 0 || !(l > values[count - 1]))) continue;
            int at = filled < count ? filled++ : count - 1;
            // Insertion into the short sorted list; strict '>' keeps the lower id ahead on ties.
            while (at > 0 && l > values[at - 1])
            {
                tokens[at] = tokens[at - 1];
                values[at] = values[at - 1];
                at--;
            }
            tokens[at] = token;
            values[at] = l;
        }
        var top = new TokenLogprob[count];
        for (int i = 0; i < count; i++) top[i] = new TokenLogprob(tokens[i], values[i] - logSumExp);
        return top;
    }
}
