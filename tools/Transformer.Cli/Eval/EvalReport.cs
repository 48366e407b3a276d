using System.Globalization;
using Transformer.Runtime.Evaluation;

namespace Transformer.Cli.Eval;

/// <summary>The text and JSON forms of the evaluation results; the KL block is laid out as llama.cpp's perplexity tool prints it.</summary>
public static class EvalReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The perplexity line: <c>PPL = 10.1234 +/- 0.0567 (1,234 tokens scored in 4 chunks of 512)</c>.</summary>
    public static string PerplexityLine(PerplexityResult r, TextChunks chunks) => string.Create(Invariant,
        $"PPL = {r.Perplexity:F4} +/- {r.PerplexityError:F4} ({r.TokensScored} tokens scored in {r.Chunks} chunks of {chunks.Context}, stride {chunks.Stride})");

    /// <summary>The JSON object of <c>eval ppl</c>.</summary>
    public static PerplexityJson Json(PerplexityResult r, TextChunks chunks, int textTokens, double tokensPerSecond) => new()
    {
        Ppl = r.Perplexity,
        PplError = r.PerplexityError,
        MeanNll = r.MeanNegativeLogLikelihood,
        TokensScored = r.TokensScored,
        Chunks = r.Chunks,
        Context = chunks.Context,
        Stride = chunks.Stride,
        TextTokens = textTokens,
        TokensPerSecond = tokensPerSecond,
    };

    /// <summary>The statistics block of <c>eval kld</c>.</summary>
    public static IEnumerable<string> KlBlock(DistributionStatistics s)
    {
        yield return "====== Perplexity statistics ======";
        yield return Line("Mean PPL(Q)", $"{s.Candidate.Perplexity,10:F6} ± {s.Candidate.PerplexityError:F6}");
        yield return Line("Mean PPL(base)", $"{s.Base.Perplexity,10:F6} ± {s.Base.PerplexityError:F6}");
        yield return Line("Cor(ln(PPL(Q)), ln(PPL(base)))", $"{100 * s.LogProbabilityCorrelation,6:F2}%");
        yield return Line("Mean ln(PPL(Q)/PPL(base))", $"{s.MeanLogPerplexityRatio,10:F6} ± {s.MeanLogPerplexityRatioError:F6}");
        yield return Line("Mean PPL(Q)/PPL(base)", $"{s.PerplexityRatio,10:F6} ± {s.PerplexityRatioError:F6}");
        yield return Line("Mean PPL(Q)-PPL(base)", $"{s.PerplexityDifference,10:F6}");
        yield return "";
        yield return "====== KL divergence statistics ======";
        yield return Line("Mean    KLD", $"{s.MeanKl,10:F6} ± {s.MeanKlError:F6}");
        foreach (var (fraction, value) in s.KlQuantiles) yield return Line(QuantileName(fraction) + " KLD", $"{value,10:F6}");
        yield return "";
        yield return "====== Token probability statistics ======";
        yield return Line("Mean    Δp", $"{100 * s.MeanDeltaP,8:F3} ± {100 * s.MeanDeltaPError:F3} %");
        foreach (var (fraction, value) in s.DeltaPQuantiles) yield return Line(QuantileName(fraction) + " Δp", $"{100 * value,8:F3}%");
        yield return Line("RMS Δp", $"{100 * s.RmsDeltaP,8:F3} %");
        yield return Line("Same top p", $"{100 * s.SameTop,8:F3} ± {100 * s.SameTopError:F3} %");
        yield return Line($"Top-{s.TopK} overlap", $"{100 * s.MeanTopKOverlap,8:F3} %");
        yield return string.Create(Invariant, $"({s.Positions} tokens compared in {s.Candidate.Chunks} chunks)");
    }

    /// <summary>The JSON object of <c>eval kld</c>.</summary>
    public static KlDivergenceJson Json(DistributionStatistics s) => new()
    {
        Ppl = s.Candidate.Perplexity,
        PplError = s.Candidate.PerplexityError,
        PplBase = s.Base.Perplexity,
        PplBaseError = s.Base.PerplexityError,
        LnPplCorrelation = s.LogProbabilityCorrelation,
        MeanLnPplRatio = s.MeanLogPerplexityRatio,
        PplRatio = s.PerplexityRatio,
        PplDifference = s.PerplexityDifference,
        MeanKld = s.MeanKl,
        MeanKldError = s.MeanKlError,
        KldQuantiles = s.KlQuantiles.Select(q => new QuantileJson(q.Fraction, q.Value)).ToArray(),
        MeanDeltaP = s.MeanDeltaP,
        DeltaPQuantiles = s.DeltaPQuantiles.Select(q => new QuantileJson(q.Fraction, q.Value)).ToArray(),
        RmsDeltaP = s.RmsDeltaP,
        SameTopP = s.SameTop,
        TopK = s.TopK,
        TopKOverlap = s.MeanTopKOverlap,
        TokensScored = s.Positions,
        Chunks = s.Candidate.Chunks,
    };

    private static string QuantileName(double fraction) => fraction switch
    {
        1.0 => "Maximum",
        0.0 => "Minimum",
        0.5 => "Median ",
        _ => string.Create(Invariant, $"{100 * fraction:0.0#}%").PadRight(7),
    };

    private static string Line(string name, FormattableString value) => $"{name,-31}: {value.ToString(Invariant)}";
}
