using System.Diagnostics;
using System.Globalization;

namespace Transformer.Cli.Eval;

/// <summary>
/// A progress bar on stderr for the windows of an evaluation, with the scoring rate: redrawn in place on a
/// terminal, one line per tenth of the work when stderr is redirected (so a log keeps a readable trace).
/// </summary>
public sealed class EvalProgress(TextWriter error, int windows, int tokensPerWindow, bool interactive) : IProgress<int>
{
    private const int Width = 30;
    private readonly long _start = Stopwatch.GetTimestamp();
    private int _lastTenth = -1;

    /// <summary>Tokens run per second so far.</summary>
    public double TokensPerSecond(int done) => done * (double)tokensPerWindow / Math.Max(1e-9, Stopwatch.GetElapsedTime(_start).TotalSeconds);

    /// <inheritdoc/>
    public void Report(int done)
    {
        int tenth = done * 10 / windows;
        if (!interactive && tenth == _lastTenth && done != windows) return;
        _lastTenth = tenth;
        int filled = done * Width / windows;
        string line = string.Create(CultureInfo.InvariantCulture,
            $"[{new string('#', filled)}{new string('.', Width - filled)}] {done}/{windows} chunks, {TokensPerSecond(done):F0} tok/s");
        if (interactive) error.Write("\r" + line + (done == windows ? "\n" : ""));
        else error.WriteLine(line);
    }
}
