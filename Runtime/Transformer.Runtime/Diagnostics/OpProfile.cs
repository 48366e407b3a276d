using System.Diagnostics;

namespace Transformer.Runtime.Diagnostics;

/// <summary>
/// Accumulated time and call counts per <see cref="OpCategory"/>. Recording is two array writes, so
/// profiling a decode step adds no allocation and little overhead.
/// </summary>
public sealed class OpProfile
{
    private static readonly OpCategory[] s_categories = Enum.GetValues<OpCategory>();
    private readonly long[] _ticks = new long[s_categories.Length];
    private readonly long[] _calls = new long[s_categories.Length];

    /// <summary>Every category, in report order.</summary>
    public static IReadOnlyList<OpCategory> Categories => s_categories;

    /// <summary>Adds one call of <paramref name="category"/> that took <paramref name="stopwatchTicks"/>.</summary>
    public void Record(OpCategory category, long stopwatchTicks)
    {
        _ticks[(int)category] += stopwatchTicks;
        _calls[(int)category]++;
    }

    /// <summary>Time spent in a category.</summary>
    public TimeSpan Time(OpCategory category) => Stopwatch.GetElapsedTime(0, _ticks[(int)category]);

    /// <summary>Calls recorded for a category.</summary>
    public long Calls(OpCategory category) => _calls[(int)category];

    /// <summary>Time spent in all categories.</summary>
    public TimeSpan Total => Stopwatch.GetElapsedTime(0, _ticks.Sum());

    /// <summary>Forgets everything recorded (e.g. after warm-up, or between prefill and decode).</summary>
    public void Reset()
    {
        Array.Clear(_ticks);
        Array.Clear(_calls);
    }
}
