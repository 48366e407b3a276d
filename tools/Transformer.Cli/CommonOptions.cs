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

    /// <summary>--model PATH (required unless the command has a default).</summary>
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
    public static Option<int> Threads()
    {
        var option = new Option<int>("--threads", "-t") { Description = "CPU worker threads; 0 uses every core", DefaultValueFactory = _ => 0, HelpName = "N" };
        option.Validators.Add(result =>
        {
            if (int.TryParse(result.Tokens.FirstOrDefault()?.Value, out int threads) && threads < 0) result.AddError("--threads must be ≥ 0");
        });
        return option;
    }
}
