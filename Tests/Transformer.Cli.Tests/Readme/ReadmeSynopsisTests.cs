using System.Text.RegularExpressions;

namespace Transformer.Cli.Tests.Readme;

/// <summary>The README's synopsis of each command names only options the command has.</summary>
public sealed partial class ReadmeSynopsisTests
{
    [Fact]
    public async Task Every_option_in_the_synopsis_is_an_option_of_its_command()
    {
        var block = Assert.Single(ReadmeDocument.Marked(ReadmeDocument.Synopsis));
        var synopses = new List<(string Command, string Text)>();
        foreach (string line in block.Text.Split('\n'))
        {
            var start = CommandLine().Match(line);
            if (start.Success) synopses.Add((start.Groups["command"].Value, line));
            else if (synopses.Count > 0 && line.StartsWith(' ')) synopses[^1] = (synopses[^1].Command, synopses[^1].Text + " " + line);
        }
        Assert.True(synopses.Count >= 4, $"README.md line {block.Line}: expected a synopsis line per command, found {synopses.Count}");

        foreach (var (command, text) in synopses)
        {
            var help = await CliRun.InvokeAsync([.. command.Split(' '), "--help"]);
            Assert.Equal(0, help.ExitCode);
            var known = help.Output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('-'))
                .SelectMany(l => HelpNames().Match(l).Value.Split(", ")).ToHashSet();
            known.Add("--verbose"); // the root's recursive option, listed once under the root
            foreach (Match option in OptionName().Matches(text))
                Assert.True(known.Contains(option.Value), $"README.md synopsis of `transformer {command}` shows {option.Value}, which `transformer {command} --help` does not list");
        }
    }

    // A command, or a command and its subcommand (`transformer eval ppl`).
    [GeneratedRegex(@"^transformer (?<command>[a-z]+(?: [a-z]+)?)\b")]
    private static partial Regex CommandLine();

    // An option name inside [...] or after '|': -x or --long-name.
    [GeneratedRegex(@"(?<=[\[|\s])--?[a-z][a-z0-9-]*")]
    private static partial Regex OptionName();

    [GeneratedRegex(@"^-[^\s,]*(, -[^\s,]*)*")]
    private static partial Regex HelpNames();
}
