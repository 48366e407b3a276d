using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Transformer.Cli;

/// <summary>
/// Integer and float options that parse and range-check in one place, so every bad value gets one message naming
/// the option, the value and the range (System.CommandLine's own conversion reports
/// "Cannot parse argument … as expected type 'System.Int32'", and a validator reading such a value throws).
/// </summary>
public static class NumberOptions
{
    /// <summary>An integer option accepting <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Option<int> Int(string name, string[] aliases, string description, int defaultValue, int min, int max = int.MaxValue, string helpName = "N")
    {
        var option = new Option<int>(name, aliases) { Description = description, HelpName = helpName, DefaultValueFactory = _ => defaultValue };
        option.CustomParser = result => ParseInt(result, name, min, max) ?? defaultValue;
        return option;
    }

    /// <summary>An integer option without a default: unset reads as null.</summary>
    public static Option<int?> OptionalInt(string name, string[] aliases, string description, string helpName = "N")
    {
        var option = new Option<int?>(name, aliases) { Description = description, HelpName = helpName };
        option.CustomParser = result => ParseInt(result, name, int.MinValue, int.MaxValue);
        return option;
    }

    /// <summary>A float option whose value must satisfy <paramref name="isValid"/>, described by <paramref name="range"/> (e.g. "a finite value ≥ 0").</summary>
    public static Option<float> Float(string name, string[] aliases, string description, float defaultValue, Func<float, bool> isValid, string range, string helpName)
    {
        var option = new Option<float>(name, aliases) { Description = description, HelpName = helpName, DefaultValueFactory = _ => defaultValue };
        option.CustomParser = result =>
        {
            if (Token(result) is not { } text) return defaultValue;
            if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
            {
                result.AddError($"{name} expects a number, got '{CliErrors.Quote(text)}'");
                return defaultValue;
            }
            if (!isValid(value)) result.AddError($"{name} must be {range}");
            return value;
        };
        return option;
    }

    private static int? ParseInt(ArgumentResult result, string name, int min, int max)
    {
        if (Token(result) is not { } text) return null;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            bool isInteger = text.TrimStart('-', '+').Length > 0 && text.TrimStart('-', '+').All(char.IsAsciiDigit);
            result.AddError(isInteger
                ? $"{name} {CliErrors.Quote(text)} is out of range: {Range(min, max)}"
                : $"{name} expects an integer, got '{CliErrors.Quote(text)}'");
            return null;
        }
        if (value < min || value > max)
        {
            bool beyondInt = value < int.MinValue || value > int.MaxValue;
            result.AddError(beyondInt ? $"{name} {value} is out of range: {Range(min, max)}" : $"{name} must be {Range(min, max)}");
            return null;
        }
        return (int)value;
    }

    // The bounds as the existing messages spell them: "≥ 0", "at least 1", or both ends.
    private static string Range(int min, int max) => (min, max) switch
    {
        (int.MinValue, int.MaxValue) => $"from {int.MinValue.ToString(CultureInfo.InvariantCulture)} to {int.MaxValue.ToString(CultureInfo.InvariantCulture)}",
        (_, int.MaxValue) => $"≥ {min.ToString(CultureInfo.InvariantCulture)} and at most {int.MaxValue.ToString(CultureInfo.InvariantCulture)}",
        _ => $"from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}",
    };

    private static string? Token(ArgumentResult result) => result.Tokens.Count == 0 ? null : result.Tokens[^1].Value;
}
