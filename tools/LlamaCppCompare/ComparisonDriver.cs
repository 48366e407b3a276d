namespace LlamaCppCompare;

/// <summary>Warms every engine up, then runs their timed repetitions interleaved and keeps each one's best.</summary>
public static class ComparisonDriver
{
    private const int SettleMilliseconds = 300;

    /// <summary>Measures <paramref name="engines"/> under <paramref name="protocol"/>, in the order given.</summary>
    public static IReadOnlyList<EngineResult> Measure(IReadOnlyList<IBenchEngine> engines, BenchProtocol protocol, TextWriter progress)
    {
        var logits = engines.Select(e => e.WarmUp()).ToArray();
        var sequenceLogits = engines.Select(e => e.SequenceLogits(protocol.PromptTokens)).ToArray();
        var bestPrefill = Enumerable.Repeat(double.PositiveInfinity, engines.Count).ToArray();
        var bestDecode = Enumerable.Repeat(double.PositiveInfinity, engines.Count).ToArray();
        for (int rep = 0; rep < protocol.Repetitions; rep++)
        {
            for (int i = 0; i < engines.Count; i++)
            {
                // Let the previous engine's idle workers (OpenMP threads, our pool) finish spinning and sleep,
                // so they do not steal a core at the start of this engine's timed run.
                Thread.Sleep(SettleMilliseconds);
                var (prefill, decode) = engines[i].RunOnce();
                progress.WriteLine($"  rep {rep + 1} {engines[i].Name}: prefill {protocol.PromptTokens / prefill:F1} tok/s, decode {protocol.GenTokens / decode:F1} tok/s");
                bestPrefill[i] = Math.Min(bestPrefill[i], prefill);
                bestDecode[i] = Math.Min(bestDecode[i], decode);
            }
        }
        return engines.Select((e, i) => new EngineResult(e.Name, e.Detail, e.LoadSeconds,
            protocol.PromptTokens / bestPrefill[i], protocol.GenTokens / bestDecode[i], logits[i], sequenceLogits[i])).ToArray();
    }
}
