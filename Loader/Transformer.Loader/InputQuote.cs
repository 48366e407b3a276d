using System.Globalization;
using System.Text;

namespace Transformer.Loader;

/// <summary>
/// Input quoted in an error message (a tensor name, a JSON value, a command-line argument), made safe to print:
/// at most <see cref="MaxLength"/> characters with the full length said when cut, and control characters written
/// as <c>\uXXXX</c>, so a corrupt file cannot produce a megabyte-long or terminal-garbling error line.
/// </summary>
public static class InputQuote
{
    /// <summary>The most characters of the input a message shows.</summary>
    public const int MaxLength = 80;

    /// <summary>The text as a message may quote it.</summary>
    public static string Cap(string? text)
    {
        if (text is null) return "";
        int keep = text.Length <= MaxLength ? text.Length : MaxLength;
        if (keep < text.Length && char.IsHighSurrogate(text[keep - 1])) keep--; // never split a surrogate pair
        var quoted = new StringBuilder(keep + 32);
        foreach (char c in text.AsSpan(0, keep))
        {
            if (char.IsControl(c)) quoted.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            else quoted.Append(c);
        }
        if (keep < text.Length) quoted.Append(CultureInfo.InvariantCulture, $"… ({text.Length:N0} characters)");
        return quoted.ToString();
    }
}
