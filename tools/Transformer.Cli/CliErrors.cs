using System.Text.RegularExpressions;

namespace Transformer.Cli;

/// <summary>Turns failures into the one-line <c>error: …</c> message the CLI promises (plus the stack trace with --verbose).</summary>
public static partial class CliErrors
{
    /// <summary>Exit code for bad input: files, options, models, prompts that cannot be used.</summary>
    public const int Failure = 1;

    /// <summary>Exit code when the command line itself does not parse.</summary>
    public const int Usage = 2;

    /// <summary>Writes the error line (and with <paramref name="verbose"/> the full exception) and returns the exit code.</summary>
    public static int Report(TextWriter error, Exception exception, bool verbose)
    {
        error.WriteLine("error: " + OneLine(exception));
        if (verbose) error.WriteLine(exception.ToString());
        return Failure;
    }

    /// <summary>Writes a usage error line.</summary>
    public static int ReportUsage(TextWriter error, IEnumerable<string> messages)
    {
        error.WriteLine("error: " + OneLine(string.Join(" ", messages.Distinct())));
        return Usage;
    }

    /// <summary>A piece of the user's input as an error message may quote it (capped, control characters escaped).</summary>
    public static string Quote(string text) => Transformer.Loader.InputQuote.Cap(text);

    /// <summary>
    /// The exception's message on one line. Argument exceptions carry .NET's " (Parameter 'x')" and
    /// "Actual value was …" decorations, which say nothing to a command-line user.
    /// </summary>
    public static string OneLine(Exception exception)
    {
        string message = exception.Message;
        if (exception is ArgumentException argument && argument.ParamName is { } name)
        {
            message = message.Replace($" (Parameter '{name}')", "");
            message = ActualValueLine().Replace(message, "");
        }
        if (exception is AggregateException { InnerExceptions.Count: 1 } aggregate) return OneLine(aggregate.InnerExceptions[0]);
        return OneLine(message);
    }

    /// <summary>
    /// The longest error line printed. Messages cap the input they quote (<see cref="Quote"/>); this bounds what
    /// any other message could print, such as one from a library that quotes without a cap.
    /// </summary>
    public const int MaxLineLength = 1000;

    private static string OneLine(string message)
    {
        string line = WhitespaceRun().Replace(message.Trim(), " ");
        return line.Length <= MaxLineLength ? line : line[..MaxLineLength] + $"… (message cut; {line.Length} characters in all)";
    }

    [GeneratedRegex(@"\s*Actual value was .*$", RegexOptions.Multiline)]
    private static partial Regex ActualValueLine();

    [GeneratedRegex(@"\s*[\r\n]+\s*")]
    private static partial Regex WhitespaceRun();
}
