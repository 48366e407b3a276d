using System.Reflection;
using System.Text.RegularExpressions;

namespace Transformer.Cli.Tests.Readme;

/// <summary>
/// The command lines of the README's marked blocks run as a user would run them: from the repository root, as a
/// process of the CLI that <c>dotnet run --project tools/Transformer.Cli</c> builds (in the tests' configuration),
/// with no network (HF_HUB_OFFLINE and an empty cache).
/// </summary>
public sealed partial class ReadmeCommandTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Every command of the marked blocks but <c>dotnet test</c> (which is what runs this), with its block's line.</summary>
    public static TheoryData<string, int> Commands()
    {
        var data = new TheoryData<string, int>();
        foreach (var block in ReadmeDocument.Marked(ReadmeDocument.Commands))
            foreach (string command in ShellWords.Commands(block.Text).Where(c => !IsDotnetTest(c)))
                data.Add(command, block.Line);
        return data;
    }

    [Fact]
    public void The_set_up_block_keeps_a_command_running_the_default_model_and_dotnet_test()
    {
        var first = ReadmeDocument.Marked(ReadmeDocument.Commands)[0];
        var commands = ShellWords.Commands(first.Text);

        Assert.Contains(commands, IsDotnetTest);
        Assert.Contains(commands, c => CliArguments(ShellWords.Split(c)) is ["run", ..] args && !args.Contains("--model") && !args.Contains("-m"));
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task The_readme_command_runs_from_the_repository_root(string command, int line)
    {
        var arguments = CliArguments(ShellWords.Split(command));
        Assert.True(arguments is not null,
            $"README.md block at line {line}: `{command}` is neither a transformer command nor `dotnet run --project tools/Transformer.Cli ... -- ARGS`; tested blocks hold only those and `dotnet test`");
        using var cache = new TempDirectory();

        var result = await DotnetProcess.RunAsync([CliAssembly, .. arguments], RepositoryPaths.Root, CommandTimeout,
            new Dictionary<string, string> { ["HF_HUB_OFFLINE"] = "1", ["HF_HUB_CACHE"] = cache.Path });

        Assert.True(result.ExitCode == 0, $"`{command}` (README.md line {line}) failed: {result}");
        if (arguments[0] == "run")
        {
            string prompt = OptionValue(arguments, "--prompt", "-p") ?? "";
            Assert.StartsWith(prompt, result.Output);
            Assert.True(result.Output.Length >= prompt.Length + 20, $"`{command}` printed too little: {result}");
            Assert.Matches(TimingLine(), result.StandardError.TrimEnd('\n').Split('\n')[^1]);
            using var model = Transformer.Text.LanguageModel.Load(Path.Combine(RepositoryPaths.Root, "models", "stories260K"));
            double score = GeneratedText.MeanLogProbability(model, result.Output);
            Assert.True(score > GeneratedText.Threshold, $"`{command}`: the output does not read as the model's text (mean log-probability {score:F2}): {result.Output}");
        }
    }

    /// <summary>
    /// The CLI as <c>dotnet run --project tools/Transformer.Cli</c> builds it: that project's output in the
    /// configuration these tests were built in (their build built it, as a project reference).
    /// </summary>
    private static string CliAssembly
    {
        get
        {
            string configuration = typeof(ReadmeCommandTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
            string path = Path.Combine(RepositoryPaths.Root, "tools", "Transformer.Cli", "bin", configuration, "net10.0", "transformer.dll");
            Assert.True(File.Exists(path), $"{path} is missing: build tools/Transformer.Cli in {configuration} (the test project's build does)");
            return path;
        }
    }

    /// <summary>The CLI's arguments of <c>transformer ARGS</c> or <c>dotnet run --project tools/Transformer.Cli ... -- ARGS</c>; else null.</summary>
    internal static string[]? CliArguments(IReadOnlyList<string> words)
    {
        if (words.Count > 1 && words[0] == "transformer") return [.. words.Skip(1)];
        if (words is not ["dotnet", "run", ..]) return null;
        int project = words.ToList().IndexOf("--project"), separator = words.ToList().IndexOf("--");
        bool isCli = project >= 0 && project + 1 < words.Count && words[project + 1].TrimEnd('/') == "tools/Transformer.Cli";
        return isCli && separator > project && separator + 1 < words.Count ? [.. words.Skip(separator + 1)] : null;
    }

    private static bool IsDotnetTest(string command) => ShellWords.Split(command) is ["dotnet", "test", ..];

    private static string? OptionValue(string[] arguments, params string[] names)
    {
        int at = Array.FindIndex(arguments, a => names.Contains(a));
        return at >= 0 && at + 1 < arguments.Length ? arguments[at + 1] : null;
    }

    [GeneratedRegex(@"^prompt: \d+ tokens, \d+\.\d tok/s; generated: \d+ tokens, \d+\.\d tok/s; device: .+$")]
    private static partial Regex TimingLine();
}
