using Transformer.Text;

namespace Transformer.Cli.Tests.Readme;

/// <summary>
/// Whether printed text is what the bundled model generates rather than an error, a placeholder or noise: the
/// model's own mean log-probability per token of the text. A uniform guess over stories260K's 512 tokens scores
/// ln(1/512) ≈ −6.2; text the model sampled scores far higher (see <see cref="Threshold"/>).
/// </summary>
public static class GeneratedText
{
    /// <summary>
    /// The lowest mean log-probability accepted. Measured on stories260K: its greedy continuation of "Lily" −0.95,
    /// five T = 0.8/top-p 0.95 stories −0.81 to −1.08, five T = 1 stories of 256 tokens −1.07 to −1.51; text it did
    /// not write scores lower: a simple two-sentence story −2.32, this class's summary −3.96, an error line −5.01, the
    /// greedy words shuffled −4.88, "the" fifty times −5.86, random characters −13.4.
    /// </summary>
    public const double Threshold = -2.0;

    /// <summary>Mean over the text's tokens (after BOS) of log p(token | everything before it).</summary>
    public static double MeanLogProbability(LanguageModel model, string text)
    {
        var ids = model.Encode(text);
        int vocab = model.Config.VocabSize, count = Math.Min(ids.Count, model.Config.MaxPositions);
        float[] logits = model.Logits([.. ids.Take(count)]);
        double total = 0;
        for (int p = 0; p + 1 < count; p++)
        {
            var row = logits.AsSpan(p * vocab, vocab);
            float max = float.NegativeInfinity;
            foreach (float l in row) max = Math.Max(max, l);
            double sum = 0;
            foreach (float l in row) sum += Math.Exp(l - max);
            total += row[ids[p + 1]] - max - Math.Log(sum);
        }
        return total / Math.Max(1, count - 1);
    }
}
