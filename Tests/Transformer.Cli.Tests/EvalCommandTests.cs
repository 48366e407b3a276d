using System.Text.Json;
using Transformer.Tests.Shared;

namespace Transformer.Cli.Tests;

/// <summary>
/// <c>eval ppl</c> against the project's PyTorch reference (tools/reference/make_perplexity_fixture.py, which
/// tokenizes with SentencePiece itself) on real text, and <c>eval kld</c>'s statistics and base files.
/// </summary>
public sealed class EvalCommandTests
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "perplexity", "stories260K-tinystories.json");

    /// <summary>The stories260K copy that ships in the repository (models/stories260K, llama2.c format).</summary>
    private static string BundledModel => Path.Combine(RepositoryPaths.Root, "models", "stories260K");

    public static TheoryData<int, int> Cuts() => new() { { 256, 256 }, { 128, 96 } };

    [Theory]
    [MemberData(nameof(Cuts))]
    public async Task Perplexity_on_tinystories_matches_the_pytorch_reference(int ctx, int stride)
    {
        string data = SharedModels.TinyStoriesExcerpt();
        using var reference = JsonDocument.Parse(File.ReadAllText(Fixture));
        var cut = reference.RootElement.GetProperty("cuts").EnumerateArray()
            .Single(c => c.GetProperty("ctx").GetInt32() == ctx && c.GetProperty("stride").GetInt32() == stride);

        var result = await CliRun.InvokeAsync("eval", "ppl", "--model", SharedModels.Stories260K, "--data", data,
            "--ctx", $"{ctx}", "--stride", $"{stride}", "--threads", "2", "--json");

        Assert.True(result.ExitCode == 0, result.StandardError);
        using var json = JsonDocument.Parse(result.Output);
        var r = json.RootElement;
        Assert.Equal(reference.RootElement.GetProperty("text_tokens").GetInt32(), r.GetProperty("text_tokens").GetInt32());
        Assert.Equal(cut.GetProperty("chunks").GetInt32(), r.GetProperty("chunks").GetInt32());
        Assert.Equal(cut.GetProperty("tokens_scored").GetInt32(), r.GetProperty("tokens_scored").GetInt32());
        double expected = cut.GetProperty("mean_nll").GetDouble(), actual = r.GetProperty("mean_nll").GetDouble();
        Assert.True(Math.Abs(expected - actual) <= 1e-5, $"mean NLL {actual}, reference {expected}");
        Assert.True(Math.Abs(cut.GetProperty("ppl").GetDouble() - r.GetProperty("ppl").GetDouble()) <= 1e-4 * cut.GetProperty("ppl").GetDouble());
    }

    [Fact]
    public async Task A_model_against_itself_has_zero_kl_and_the_same_top_token_everywhere()
    {
        string data = StoryText();
        var result = await CliRun.InvokeAsync("eval", "kld", "--model", BundledModel, "--base", BundledModel,
            "--data", data, "--ctx", "32", "--threads", "2", "--json");

        Assert.True(result.ExitCode == 0, result.StandardError);
        using var json = JsonDocument.Parse(result.Output);
        var r = json.RootElement;
        Assert.Equal(0, r.GetProperty("mean_kld").GetDouble());
        Assert.Equal(1, r.GetProperty("same_top_p").GetDouble());
        Assert.Equal(1, r.GetProperty("top_k_overlap").GetDouble());
        Assert.Equal(r.GetProperty("ppl").GetDouble(), r.GetProperty("ppl_base").GetDouble());
        Assert.True(r.GetProperty("tokens_scored").GetInt32() > 0);
    }

    [Fact]
    public async Task A_saved_base_gives_the_same_statistics_as_the_base_model_and_refuses_another_cut()
    {
        string data = StoryText();
        string basePath = Path.Combine(Path.GetTempPath(), $"kl-base-{Guid.NewGuid():N}.bin");
        try
        {
            var save = await CliRun.InvokeAsync("eval", "kld", "--base", BundledModel, "--save-base", basePath,
                "--data", data, "--ctx", "32", "--threads", "2");
            Assert.True(save.ExitCode == 0, save.StandardError);
            Assert.Contains("positions of 512 log-probabilities", save.Output);

            string[] common = ["--model", BundledModel, "--quant", "int8", "--data", data, "--ctx", "32", "--threads", "2", "--json"];
            var fromFile = await CliRun.InvokeAsync(["eval", "kld", "--base", basePath, .. common]);
            var fromModel = await CliRun.InvokeAsync(["eval", "kld", "--base", BundledModel, .. common]);
            Assert.True(fromFile.ExitCode == 0, fromFile.StandardError);
            Assert.Equal(fromModel.Output, fromFile.Output);
            using var json = JsonDocument.Parse(fromFile.Output);
            double kl = json.RootElement.GetProperty("mean_kld").GetDouble();
            Assert.True(kl > 0 && kl < 0.05, $"int8 against f32: mean KL {kl}");

            var otherCut = await CliRun.InvokeAsync(["eval", "kld", "--base", basePath, "--model", BundledModel, "--data", data, "--ctx", "16"]);
            Assert.Equal(1, otherCut.ExitCode);
            Assert.Contains("saved with --ctx 32 --stride 32, this run uses --ctx 16 --stride 16", otherCut.StandardError);
        }
        finally
        {
            File.Delete(basePath);
        }
    }

    [Theory]
    [InlineData("--ctx", "1024", "exceeds the model's context of 512")]
    [InlineData("--ctx", "4000", "exceeds the model's context of 512")]
    [InlineData("--stride", "40", "the stride must be in [1, 32]")]
    public async Task A_cut_that_does_not_fit_is_an_error_naming_the_limit(string option, string value, string message)
    {
        string data = StoryText();
        string[] args = option == "--ctx" ? ["eval", "ppl", "--data", data, option, value] : ["eval", "ppl", "--data", data, "--ctx", "32", option, value];
        var result = await CliRun.InvokeAsync(args);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.StandardError);
    }

    [Fact]
    public async Task A_text_shorter_than_one_window_or_a_missing_file_is_an_error()
    {
        string shortText = Path.Combine(Path.GetTempPath(), $"short-{Guid.NewGuid():N}.txt");
        File.WriteAllText(shortText, "Once upon a time");
        try
        {
            var result = await CliRun.InvokeAsync("eval", "ppl", "--data", shortText, "--ctx", "64");
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("less than one evaluation window of 64", result.StandardError);
        }
        finally
        {
            File.Delete(shortText);
        }
        var missing = await CliRun.InvokeAsync("eval", "ppl", "--data", "/nonexistent/data.txt");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("/nonexistent/data.txt: no such data file", missing.StandardError);
    }

    /// <summary>A few hundred tokens of story text, written once per test run.</summary>
    private static string StoryText()
    {
        string path = Path.Combine(Path.GetTempPath(), "transformer-eval-story.txt");
        File.WriteAllText(path, string.Concat(Enumerable.Repeat(
            "Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine. One day, she saw a big red ball in the park. ", 6)));
        return path;
    }
}
