using System.Diagnostics;
using System.Globalization;
using Transformer.Text.Hub;

namespace Transformer.Cli;

/// <summary>
/// Shows download progress on stderr: on a terminal one redrawn line per file with a progress bar, otherwise a
/// line when a file starts and one when it ends (no carriage-return noise in logs).
/// </summary>
public sealed class DownloadProgressPrinter(TextWriter error, bool redraw) : IProgress<HubDownloadProgress>
{
    private const int BarWidth = 30;
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);
    private long _lastDraw;

    /// <inheritdoc/>
    public void Report(HubDownloadProgress value)
    {
        if (redraw)
        {
            if (!value.Completed && Stopwatch.GetElapsedTime(_lastDraw) < RedrawInterval) return;
            _lastDraw = Stopwatch.GetTimestamp();
            error.Write("\r" + Line(value, withBar: true) + (value.Completed ? "\n" : ""));
        }
        else if (value.Completed || value.BytesReceived == 0)
        {
            error.WriteLine(Line(value, withBar: false) + (value.Completed ? " done" : ""));
        }
    }

    /// <summary>
    /// <c>downloading NAME [#####-----] 50% 1.0 MiB / 2.0 MiB</c>; without a known size, the bytes so far.
    /// </summary>
    public static string Line(HubDownloadProgress value, bool withBar)
    {
        string line = $"downloading {value.File}: ";
        if (value.TotalBytes is not long total) return line + Size(value.BytesReceived);
        if (withBar)
        {
            double fraction = total == 0 ? 1 : Math.Clamp(value.BytesReceived / (double)total, 0, 1);
            int filled = (int)(fraction * BarWidth);
            line += $"[{new string('#', filled)}{new string('-', BarWidth - filled)}] {(int)(fraction * 100),3}% ";
        }
        return line + $"{Size(value.BytesReceived)} / {Size(total)}";
    }

    private static string Size(long bytes) =>
        bytes >= 1 << 20
            ? (bytes / (double)(1 << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB"
            : bytes >= 1 << 10
                ? (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB"
                : bytes.ToString(CultureInfo.InvariantCulture) + " B";
}
