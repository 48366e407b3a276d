using System.Globalization;
using System.Text.Json;

namespace Transformer.Cli.Bench;

/// <summary>Writes bench results as a readable table or as a JSON array.</summary>
public static class BenchReport
{
    /// <summary>One JSON array, one object per measured configuration.</summary>
    public static string Json(IReadOnlyList<BenchResult> results) => JsonSerializer.Serialize(results, BenchJsonContext.Default.IReadOnlyListBenchResult);

    /// <summary>One JSON object: the limits and the rows measured beside them.</summary>
    public static string Json(Limits.MachineLimits limits, IReadOnlyList<BenchResult> results) =>
        JsonSerializer.Serialize(new LimitsReport { Limits = limits, Results = results }, BenchJsonContext.Default.LimitsReport);

    /// <summary>The limits table.</summary>
    public static IEnumerable<string> Limits(Limits.MachineLimits m)
    {
        var inv = CultureInfo.InvariantCulture;
        yield return string.Create(inv, $"machine limits (measured now, managed code): read {m.ReadGigabytesPerSecondOneThread:F1} GB/s on 1 thread, {m.ReadGigabytesPerSecond:F1} GB/s on {m.Threads} ({m.ReadBufferBytes >> 20} MiB buffer, {Bench.Limits.ReadBandwidth.Width} loads)");
        yield return string.Create(inv, $"  {"isa",-8} {"f32 GFLOP/s 1t",15} {$"{m.Threads}t",8} {"int8 GOP/s 1t",14} {$"{m.Threads}t",8}  instructions");
        foreach (var p in m.Paths)
            yield return string.Create(inv, $"  {p.Isa,-8} {p.FmaGflopsOneThread,15:F1} {p.FmaGflops,8:F1} {p.Int8GopsOneThread,14:F1} {p.Int8Gops,8:F1}  {p.FmaInstruction}; {p.Int8Instruction}");
    }

    /// <summary>The headline line of one configuration.</summary>
    public static string Line(BenchResult r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Preset,-15} {r.Device,-9} {r.Isa,-8} {r.Quant,-5} {r.Threads} thr  prefill {r.PrefillTokensPerSecond,8:F1} tok/s ({r.PromptTokens} tok)  " +
        $"decode {r.DecodeTokensPerSecond,7:F1} tok/s ({r.GenTokens} tok)  {r.DecodeWeightGigabytesPerSecond,5:F1} GB/s of {r.WeightBytesPerToken / 1e6:F1} MB/token  load {r.LoadSeconds:F1} s{Bounds(r)}");

    private static string Bounds(BenchResult r) => r.DecodePercentOfBandwidthBound is not { } decode || r.PrefillPercentOfComputeBound is not { } prefill ? ""
        : string.Create(CultureInfo.InvariantCulture,
            $"  decode {decode:F0}% of bandwidth bound ({r.DecodeBandwidthBoundTokensPerSecond:F0} tok/s at {r.ReadGigabytesPerSecond:F1} GB/s), prefill {prefill:F1}% of {r.ComputeKernel} compute bound ({r.PrefillComputeBoundTokensPerSecond:F0} tok/s at {r.ComputePeakGops:F0} GOP/s)");

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
