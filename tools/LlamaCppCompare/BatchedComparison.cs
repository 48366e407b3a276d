using System.Globalization;

namespace LlamaCppCompare;

/// <summary>
/// Aggregate decode with many sequences per step, llama.cpp against ours in the same process: per level,
/// the engines' repetitions interleave as in <see cref="ComparisonDriver"/> and each one's best is kept.
/// </summary>
public static class BatchedComparison
{
    /// <summary>Measures every level and prints one line per engine and level (aggregate tok/s and the ratio to llama.cpp).</summary>
    public static void Run(IReadOnlyList<IBenchEngine> engines, BenchProtocol protocol, IReadOnlyList<int> levels, TextWriter output, TextWriter progress)
    {
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine($"batched decode: {protocol.PromptTokens}-token prompts, {protocol.GenTokens} steps of one token per sequence, {protocol.Threads} threads, KV {protocol.KvType} in both engines, best of {protocol.Repetitions}");
        output.WriteLine(string.Create(inv, $"{"engine",-16} {"sequences",9} {"aggregate tok/s",16} {"× llama.cpp",12}"));
        foreach (int level in levels)
        {
            foreach (var engine in engines) engine.BatchedDecodeSeconds(level); // warm-up of this batch shape
            var best = Enumerable.Repeat(double.PositiveInfinity, engines.Count).ToArray();
            for (int rep = 0; rep < protocol.Repetitions; rep++)
            {
                for (int i = 0; i < engines.Count; i++)
                {
                    Thread.Sleep(300);
                    double seconds = engines[i].BatchedDecodeSeconds(level);
                    progress.WriteLine(string.Create(inv, $"  rep {rep + 1} {engines[i].Name} x{level}: {level * protocol.GenTokens / seconds:F1} tok/s"));
                    best[i] = Math.Min(best[i], seconds);
                }
            }
            double baseline = level * protocol.GenTokens / best[0];
            for (int i = 0; i < engines.Count; i++)
            {
                double rate = level * protocol.GenTokens / best[i];
                output.WriteLine(string.Create(inv, $"{engines[i].Name,-16} {level,9} {rate,16:F1} {rate / baseline,12:F2}"));
            }
        }
    }
}
