using System.Globalization;
using System.Text.RegularExpressions;

namespace Transformer.Cli;

/// <summary>Durations written for people: <c>90s</c>, <c>30m</c>, <c>12h</c>, <c>7d</c>, or a plain number of seconds.</summary>
public static partial class Duration
{
    [GeneratedRegex(@"^\s*([0-9]+(?:\.[0-9]+)?)\s*(s|m|h|d|)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex DurationPattern();

    /// <summary>Parses a positive duration; false with a message naming the problem when <paramref name="text"/> is not one.</summary>
    public static bool TryParse(string text, out TimeSpan duration, out string? error)
    {
        duration = TimeSpan.Zero;
        error = null;
        var match = DurationPattern().Match(text);
        if (!match.Success)
        {
            error = $"'{(text.Length > 40 ? text[..40] + "…" : text)}' is not a duration: write a number with s, m, h or d (90s, 30m, 12h, 7d), or seconds";
            return false;
        }
        double value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        double seconds = match.Groups[2].Value.ToLowerInvariant() switch { "m" => value * 60, "h" => value * 3600, "d" => value * 86400, _ => value };
        if (seconds < 1 || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            error = $"'{text}' is out of range: a duration must be at least 1 second";
            return false;
        }
        duration = TimeSpan.FromSeconds(seconds);
        return true;
    }
}
