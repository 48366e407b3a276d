using System.Diagnostics;
using Transformer.Server.Caching;

namespace Transformer.Cli;

/// <summary>Prints pre-caching progress on one line per update, at most about once a second (and always the last).</summary>
public sealed class PrecacheProgressPrinter(TextWriter error) : IProgress<PrecacheProgress>
{
    private readonly Stopwatch _since = Stopwatch.StartNew();
    private TimeSpan? _last;

    public void Report(PrecacheProgress value)
    {
        if (value.Done < value.Total && _last is { } last && _since.Elapsed - last < TimeSpan.FromSeconds(1)) return;
        _last = _since.Elapsed;
        error.WriteLine($"precache: {value.Done}/{value.Total} requests ({value.Computed} computed, {value.AlreadyCached} already cached, {value.Failed} failed)");
    }

    /// <summary>Prints each failure; returns whether there were none.</summary>
    public static bool Summarize(TextWriter error, PrecacheReport report)
    {
        foreach (string failure in report.Failures) error.WriteLine($"precache: {failure}");
        return report.Failures.Count == 0;
    }
}
