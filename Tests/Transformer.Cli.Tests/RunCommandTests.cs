using System.Globalization;
using System.Text.RegularExpressions;

namespace Transformer.Cli.Tests;

/// <summary><c>transformer run</c> prints what llama2.c's run prints, and one timing line on stderr.</summary>
public sealed partial class RunCommandTests
{
    [Theory]
    [InlineData(0, "folder")]
    [InlineData(1, "folder")]
    [InlineData(2, "folder")]
    [InlineData(3, "folder")]
    [InlineData(0, "bin")]
    [InlineData(1, "bin")]
    [InlineData(2, "bin")]
    [InlineData(3, "bin")]
    [InlineData(0, "safetensors")]
    [InlineData(3, "safetensors")]
    [InlineData(0, "gguf")]
    [InlineData(1, "gguf")]
    [InlineData(3, "gguf")]
    public async Task Greedy_output_equals_run_c_byte_for_byte(int caseIndex, string form)
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        var greedy = GreedyCases.Case(caseIndex);
        // run.c's -n counted positions, prompt included; the reference always generated 64 tokens.
        int generated = greedy.GetProperty("generated_token_ids").GetArrayLength();
        string prompt = greedy.GetProperty("prompt").GetString()!;

        var result = await CliRun.InvokeAsync("run", "--model", GreedyCases.ModelPath(form), "--prompt", prompt,
            "--max-tokens", generated.ToString(CultureInfo.InvariantCulture), "--temperature", "0");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(GreedyCases.PrintedBytes(greedy), result.StandardOutput);
    }

    [Fact]
    public async Task Stderr_is_one_timing_line_with_the_token_counts()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        var greedy = GreedyCases.Case(0);
        int promptTokens = greedy.GetProperty("prompt_token_ids").GetArrayLength();

        var result = await CliRun.InvokeAsync("run", "--model", SharedModels.Stories260K, "--prompt", "Once upon a time",
            "--max-tokens", "10", "--temperature", "0");

        Assert.Equal(0, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        var match = TimingLine().Match(line);
        Assert.True(match.Success, $"unexpected timing line: {line}");
        Assert.Equal(promptTokens, int.Parse(match.Groups["prompt"].Value, CultureInfo.InvariantCulture));
        Assert.Equal(10, int.Parse(match.Groups["generated"].Value, CultureInfo.InvariantCulture));
        Assert.True(double.Parse(match.Groups["promptRate"].Value, CultureInfo.InvariantCulture) > 0);
        Assert.True(double.Parse(match.Groups["generatedRate"].Value, CultureInfo.InvariantCulture) > 0);
    }

    [Fact]
    public async Task Max_tokens_counts_generated_tokens_and_zero_prints_only_the_prompt()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);

        var result = await CliRun.InvokeAsync("run", "--model", SharedModels.Stories260K, "--prompt", "Once upon a time", "--max-tokens", "0");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("Once upon a time", result.Output);
        Assert.Contains("generated: 0 tokens", result.StandardError);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_sampled_text()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        string[] args = ["run", "--model", SharedModels.Stories260K, "--prompt", "Lily", "--max-tokens", "40",
            "--temperature", "0.9", "--top-k", "40", "--top-p", "0.95", "--min-p", "0.01", "--repetition-penalty", "1.1", "--seed", "7"];

        var first = await CliRun.InvokeAsync(args);
        var second = await CliRun.InvokeAsync(args);

        Assert.Equal(0, first.ExitCode);
        Assert.StartsWith("Lily", first.Output);
        Assert.Equal(first.StandardOutput, second.StandardOutput);
    }

    [Fact]
    public async Task Without_a_model_the_bundled_stories260K_runs_with_no_network()
    {
        using var cache = HubFixture.NewCache();

        var result = await CliRun.InvokeAsync(CliRun.NoNetwork(cache.Path), "run", "--prompt", "Once upon a time", "--max-tokens", "64", "--temperature", "0");

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("Once upon a time, ", result.Output);
        Assert.Matches(TimingLine(), Assert.Single(result.ErrorLines));
        Assert.Empty(Directory.GetFileSystemEntries(cache.Path));
        if (SharedModels.Available) Assert.Equal(GreedyCases.PrintedBytes(GreedyCases.Case(0)), result.StandardOutput);
    }

    [Fact]
    public async Task A_generation_cut_off_by_the_context_says_so_on_stderr()
    {
        // About 500 prompt tokens of stories260K's 512; greedy decoding does not end the story in the few left.
        string prompt = string.Concat(Enumerable.Repeat("Lily and Tom went to the park. ", 42)).TrimEnd();

        var result = await CliRun.InvokeAsync("run", "--prompt", prompt, "--max-tokens", "100", "--temperature", "0");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(2, result.ErrorLines.Length);
        Assert.Equal("stopped: context full at 512 tokens", result.ErrorLines[0]);
        var timing = TimingLine().Match(result.ErrorLines[1]);
        Assert.True(timing.Success, result.ErrorLines[1]);
        // Every position holds a token; the last generated one needs none.
        int promptTokens = int.Parse(timing.Groups["prompt"].Value, CultureInfo.InvariantCulture);
        Assert.Equal(512 + 1, promptTokens + int.Parse(timing.Groups["generated"].Value, CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_generation_that_ends_before_the_context_is_full_says_nothing_more()
    {
        var result = await CliRun.InvokeAsync("run", "--prompt", "Once upon a time", "--max-tokens", "20", "--temperature", "0");

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(TimingLine(), Assert.Single(result.ErrorLines));
    }

    [GeneratedRegex(@"^prompt: (?<prompt>\d+) tokens, (?<promptRate>\d+\.\d) tok/s; generated: (?<generated>\d+) tokens, (?<generatedRate>\d+\.\d) tok/s; device: (?<device>cpu .+|ilgpu .+)$")]
    private static partial Regex TimingLine();
}
