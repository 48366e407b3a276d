using System.Diagnostics;
using System.Globalization;
using Transformer.Text.Hub;

namespace Transformer.Cli;

/// <summary>
/// Shows download progress on stderr: one redrawn line per file on a terminal, otherwise a line when a file
/// starts and one when it ends (no carriage-return noise in logs).
/// </summary>
public sealed class DownloadProgressPrinter(TextWriter error, bool redraw) : IProgress<HubDownloadProgress>
{
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);
    private long _lastDraw;

    /// <inheritdoc/>
    public void Report(HubDownloadProgress value)
    {
        string line = $"downloading {value.File}: {Size(value.BytesReceived)}" + (value.TotalBytes is long total ? $" / {Size(total)}" : "");
        if (redraw)
        {
            if (!value.Completed && Stopwatch.GetElapsedTime(_lastDraw) < RedrawInterval) return;
            _lastDraw = Stopwatch.GetTimestamp();
            error.Write("\r" + line + (value.Completed ? "\n" : ""));
        }
        else if (value.Completed || value.BytesReceived == 0)
        {
            error.WriteLine(line + (value.Completed ? " done" : ""));
        }
    }

    private static string Size(long bytes) =>
        bytes >= 1 << 20
            ? (bytes / (double)(1 << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB"
            : bytes >= 1 << 10
                ? (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB"
                : bytes.ToString(CultureInfo.InvariantCulture) + " B";
}
