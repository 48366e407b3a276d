using System.Globalization;
using System.Text.Json;

namespace Transformer.Cli.Bench;

/// <summary>Writes bench results as a readable table or as a JSON array.</summary>
public static class BenchReport
{
    /// <summary>One JSON array, one object per measured configuration.</summary>
    public static string Json(IReadOnlyList<BenchResult> results) => JsonSerializer.Serialize(results, BenchJsonContext.Default.IReadOnlyListBenchResult);

    /// <summary>The headline line of one configuration.</summary>
    public static string Line(BenchResult r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Preset,-15} {r.Device,-9} {r.Isa,-8} {r.Quant,-5} {r.Threads} thr  prefill {r.PrefillTokensPerSecond,8:F1} tok/s ({r.PromptTokens} tok)  " +
        $"decode {r.DecodeTokensPerSecond,7:F1} tok/s ({r.GenTokens} tok)  {r.DecodeWeightGigabytesPerSecond,5:F1} GB/s of {r.WeightBytesPerToken / 1e6:F1} MB/token  load {r.LoadSeconds:F1} s");

    /// <summary>The per-op breakdown lines of one configuration (share of the profiled time in parentheses).</summary>
    public static IEnumerable<string> Breakdown(BenchResult r)
    {
        yield return "  prefill ms:           " + Categories(r.PrefillMilliseconds);
        yield return "  decode ms per token:  " + Categories(r.DecodeMillisecondsPerToken);
    }

    private static string Categories(IReadOnlyDictionary<string, double> milliseconds)
    {
        double total = milliseconds.Values.Sum();
        return string.Join(", ", milliseconds.OrderByDescending(p => p.Value).Select(p =>
            string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F3} ({(total > 0 ? 100 * p.Value / total : 0):F0}%)")));
    }
}
