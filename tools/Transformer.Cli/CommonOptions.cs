using System.CommandLine;

namespace Transformer.Cli;

/// <summary>Options several commands share, so they are spelled and described the same everywhere.</summary>
public static class CommonOptions
{
    /// <summary>--verbose: print the full exception after the error line (on every command).</summary>
    public static Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "On failure, also print the exception with its stack trace",
        Recursive = true,
    };

    /// <summary>
    /// --model PATH (required unless the command has a default). Its value may name a Hub model too; commands
    /// resolve it with <see cref="ModelArgument.ResolveAsync"/>.
    /// </summary>
    public static Option<string> Model(bool required, string description) => new("--model", "-m")
    {
        Description = description,
        Required = required,
        HelpName = "PATH",
    };

    /// <summary>--tokenizer PATH: overrides the tokenizer found beside the model.</summary>
    public static Option<string> Tokenizer() => new("--tokenizer")
    {
        Description = "Tokenizer file (tokenizer.json, *.model, tok*.bin); default: the one beside the model",
        HelpName = "PATH",
    };

    /// <summary>--threads N: CPU worker threads.</summary>
    public static Option<int> Threads() =>
        NumberOptions.Int("--threads", ["-t"], "CPU worker threads; 0 uses every core", defaultValue: 0, min: 0);
}
