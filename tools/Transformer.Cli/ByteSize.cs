using System.Globalization;
using System.Text.RegularExpressions;

namespace Transformer.Cli;

/// <summary>Sizes written for people: <c>512MiB</c>, <c>2GiB</c>, <c>1.5GB</c>, <c>1048576</c> (bytes).</summary>
public static partial class ByteSize
{
    private static readonly Dictionary<string, double> Units = new(StringComparer.OrdinalIgnoreCase)
    {
        [""] = 1, ["B"] = 1,
        ["KB"] = 1e3, ["MB"] = 1e6, ["GB"] = 1e9, ["TB"] = 1e12,
        ["KiB"] = 1L << 10, ["MiB"] = 1L << 20, ["GiB"] = 1L << 30, ["TiB"] = 1L << 40,
    };

    [GeneratedRegex(@"^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$")]
    private static partial Regex SizePattern();

    /// <summary>Parses a size in bytes; false with a message naming the problem when <paramref name="text"/> is not one.</summary>
    public static bool TryParse(string text, out long bytes, out string? error)
    {
        bytes = 0;
        error = null;
        var match = SizePattern().Match(text);
        if (!match.Success || !Units.TryGetValue(match.Groups[2].Value, out double unit))
        {
            error = $"'{(text.Length > 40 ? text[..40] + "…" : text)}' is not a size: write a number with a unit such as 512MiB, 2GiB or 1.5GB (KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024)";
            return false;
        }
        double value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) * unit;
        if (value < 1 || value >= long.MaxValue)
        {
            error = $"'{text}' is out of range: a size must be at least 1 byte and below 8 EiB";
            return false;
        }
        bytes = (long)value;
        return true;
    }
}
