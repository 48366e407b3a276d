using System.Text.RegularExpressions;

namespace Transformer.Cli.Tests;

/// <summary>What a new user sees first: the usage, the options' names and the values they take.</summary>
public sealed partial class UsageTests
{
    [Fact]
    public async Task A_bare_transformer_prints_the_usage_and_its_commands()
    {
        var result = await CliRun.InvokeAsync();

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.StandardError);
        Assert.Contains("Usage:", result.Output);
        foreach (string command in new[] { "run", "inspect", "bench", "quantize" })
            Assert.Matches($"(?m)^  {command} ", result.Output);
    }

    [Theory]
    [InlineData("-m", "--model")]
    [InlineData("-p", "--prompt")]
    [InlineData("-n", "--max-tokens")]
    [InlineData("-t", "--threads")]
    [InlineData("-s", "--seed")]
    [InlineData("--temp", "--temperature")]
    [InlineData("--repeat-penalty", "--repetition-penalty")]
    public async Task Run_help_lists_llama_cpp_style_short_options(string alias, string option)
    {
        var help = HelpLines((await CliRun.InvokeAsync("run", "--help")).Output);

        Assert.Contains(help, line => line.Split(", ").Contains(alias) && line.Split(", ").Contains(option));
    }

    [Theory]
    [InlineData("run", "--isa", "scalar|avx2|avx512|avxvnni|neon|neondp")]
    [InlineData("inspect", "--isa", "scalar|avx2|avx512|avxvnni|neon|neondp")]
    [InlineData("bench", "--isa", "scalar|avx2|avx512|avxvnni|neon|neondp|all")]
    [InlineData("run", "--quant", "f32|int8|q4_0|q4_k_m")]
    [InlineData("bench", "--quant", "f32|bf16|f16|int8|q4_0|q4_k_m|both|all")]
    [InlineData("run", "--device", "auto|cpu|cuda|opencl|ilgpu-cpu")]
    public async Task Options_with_a_fixed_set_of_values_name_them_in_help(string command, string option, string values)
    {
        var result = await CliRun.InvokeAsync(command, "--help");

        Assert.Contains($"{option} <{values}>", result.Output);
    }

    [Fact]
    public async Task Short_options_run_the_same_generation_as_the_long_ones()
    {
        string model = DefaultModel.Directory;
        var longForm = await CliRun.InvokeAsync("run", "--model", model, "--prompt", "Lily", "--max-tokens", "30", "--temperature", "0.8",
            "--seed", "11", "--threads", "1", "--repetition-penalty", "1.1");
        var shortForm = await CliRun.InvokeAsync("run", "-m", model, "-p", "Lily", "-n", "30", "--temp", "0.8", "-s", "11", "-t", "1",
            "--repeat-penalty", "1.1");

        Assert.Equal(0, longForm.ExitCode);
        Assert.Equal(0, shortForm.ExitCode);
        Assert.StartsWith("Lily", longForm.Output);
        Assert.True(longForm.Output.Length > "Lily".Length + 20, longForm.Output);
        Assert.Equal(longForm.StandardOutput, shortForm.StandardOutput);
        Assert.EndsWith("1 thread(s)", shortForm.ErrorLines[^1]);
    }

    /// <summary>The option lines of a help text, trimmed, with the option names and their description apart.</summary>
    private static string[] HelpLines(string help) =>
        [.. help.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('-')).Select(l => OptionNames().Match(l).Value)];

    // "-m, --model <PATH>  description": the names and placeholder, up to the two-space gap before the description.
    [GeneratedRegex(@"^-[^\s,]*(, -[^\s,]*)*")]
    private static partial Regex OptionNames();
}
