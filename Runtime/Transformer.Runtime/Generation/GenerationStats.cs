using System.Diagnostics;

namespace Transformer.Runtime.Generation;

/// <summary>Counts and timings of one generation, filled in as it runs.</summary>
public sealed class GenerationStats
{
    /// <summary>Tokens in the prompt (BOS included).</summary>
    public int PromptTokens { get; internal set; }
    /// <summary>Tokens generated.</summary>
    public int GeneratedTokens { get; internal set; }
    /// <summary>Time to run the prompt through the model (prefill).</summary>
    public TimeSpan PrefillTime { get; internal set; }
    /// <summary>Time spent producing the generated tokens after the first (decode steps).</summary>
    public TimeSpan DecodeTime { get; internal set; }
    /// <summary>Why generation ended.</summary>
    public StopReason StopReason { get; internal set; }

    /// <summary>Prompt tokens per second of prefill.</summary>
    public double PromptTokensPerSecond => PerSecond(PromptTokens, PrefillTime);

    /// <summary>Decode steps per second (each step after prefill produces one token).</summary>
    public double GeneratedTokensPerSecond => PerSecond(Math.Max(0, GeneratedTokens - 1), DecodeTime);

    private static double PerSecond(int count, TimeSpan time) => time > TimeSpan.Zero ? count / time.TotalSeconds : 0;

    internal static TimeSpan Since(long start) => Stopwatch.GetElapsedTime(start);
}
