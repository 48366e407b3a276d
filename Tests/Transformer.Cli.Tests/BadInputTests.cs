using System.Text;

namespace Transformer.Cli.Tests;

/// <summary>Every kind of bad input gives exactly one <c>error: </c> line on stderr, nothing on stdout, and a non-zero exit.</summary>
public sealed class BadInputTests
{
    [Theory]
    [InlineData("--max-tokens", "-1", "--max-tokens must be ≥ 0")]
    [InlineData("--max-tokens", "many", "'many'")]
    [InlineData("--temperature", "-0.5", "--temperature must be a finite value ≥ 0")]
    [InlineData("--temperature", "NaN", "--temperature must be a finite value ≥ 0")]
    [InlineData("--top-k", "-3", "--top-k must be ≥ 0")]
    [InlineData("--top-p", "0", "--top-p must be in (0, 1]")]
    [InlineData("--top-p", "1.5", "--top-p must be in (0, 1]")]
    [InlineData("--min-p", "2", "--min-p must be in [0, 1]")]
    [InlineData("--repetition-penalty", "0", "--repetition-penalty must be a finite value > 0")]
    [InlineData("--seed", "1.5", "'1.5'")]
    [InlineData("--threads", "-1", "--threads must be ≥ 0")]
    public async Task Bad_option_values(string option, string value, string expected)
    {
        using var cache = HubFixture.NewCache();
        var result = await CliRun.InvokeAsync(CliRun.NoNetwork(cache.Path), "run", "--model", "unused", option, value);
        AssertOneError(result, expected);
    }

    [Fact]
    public async Task Unknown_option_and_missing_command()
    {
        AssertOneError(await CliRun.InvokeAsync("run", "--model", "x", "--no-such-option"), "--no-such-option");
        AssertOneError(await CliRun.InvokeAsync(), "command");
        AssertOneError(await CliRun.InvokeAsync("inspect"), "--model");
    }

    [Fact]
    public async Task Missing_model_file()
    {
        using var dir = new TempDirectory();
        string missing = Path.Combine(dir.Path, "nothing-here.bin");
        AssertOneError(await CliRun.InvokeAsync("run", "--model", missing), missing);
        AssertOneError(await CliRun.InvokeAsync("inspect", "--model", missing), missing);
    }

    [Fact]
    public async Task Folder_without_a_model()
    {
        using var dir = new TempDirectory();
        AssertOneError(await CliRun.InvokeAsync("run", "--model", dir.Path), "no model found");
    }

    [Fact]
    public async Task Malformed_safetensors_names_the_file()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "config.json"), """
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 8, "intermediate_size": 16,
             "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 16,
             "max_position_embeddings": 32}
            """);
        string weights = Path.Combine(dir.Path, "model.safetensors");
        // A header length far beyond the file.
        File.WriteAllBytes(weights, [.. BitConverter.GetBytes(1_000_000L), .. Encoding.ASCII.GetBytes("{}")]);

        AssertOneError(await CliRun.InvokeAsync("run", "--model", dir.Path), "model.safetensors");
        AssertOneError(await CliRun.InvokeAsync("inspect", "--model", weights), "model.safetensors");
    }

    [Fact]
    public async Task Truncated_llama2c_checkpoint_names_the_file()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        using var dir = new TempDirectory();
        string truncated = Path.Combine(dir.Path, "stories260K.bin");
        byte[] original = File.ReadAllBytes(SharedModels.Stories260KFile("stories260K.bin"));
        File.WriteAllBytes(truncated, original[..(original.Length / 2)]);

        AssertOneError(await CliRun.InvokeAsync("run", "--model", truncated, "--tokenizer", SharedModels.Stories260KFile("tok512.bin")), "stories260K.bin");
    }

    [Fact]
    public async Task Unusable_tokenizer_file()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        using var dir = new TempDirectory();
        string bogus = Path.Combine(dir.Path, "tokenizer.model");
        File.WriteAllBytes(bogus, Encoding.ASCII.GetBytes("this is not a tokenizer"));

        AssertOneError(await CliRun.InvokeAsync("run", "--model", SharedModels.Stories260K, "--tokenizer", bogus), "tokenizer.model");
        AssertOneError(await CliRun.InvokeAsync("run", "--model", SharedModels.Stories260K, "--tokenizer", Path.Combine(dir.Path, "absent.model")), "absent.model");
    }

    [Fact]
    public async Task Prompt_longer_than_the_context()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        string prompt = string.Concat(Enumerable.Repeat("Lily and Tom went to the park. ", 100));

        AssertOneError(await CliRun.InvokeAsync("run", "--model", SharedModels.Stories260K, "--prompt", prompt), "context overflow");
    }

    [Fact]
    public async Task Verbose_adds_the_stack_trace_after_the_error_line()
    {
        using var dir = new TempDirectory();
        var result = await CliRun.InvokeAsync("run", "--model", Path.Combine(dir.Path, "absent.bin"), "--verbose");

        Assert.NotEqual(0, result.ExitCode);
        Assert.StartsWith("error: ", result.ErrorLines[0]);
        Assert.Contains(result.ErrorLines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task No_model_and_no_hub_says_to_pass_a_model()
    {
        using var cache = HubFixture.NewCache();
        var result = await CliRun.InvokeAsync(CliRun.NoNetwork(cache.Path), "run", "--prompt", "Once upon a time");

        AssertOneError(result, "karpathy/tinyllamas/stories260K");
        Assert.Contains("pass --model PATH", result.StandardError);
    }

    private static void AssertOneError(CliResult result, string expectedFragment)
    {
        Assert.NotEqual(0, result.ExitCode);
        Assert.Empty(result.StandardOutput);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        Assert.Contains(expectedFragment, line);
        Assert.DoesNotContain("   at ", result.StandardError);
    }
}
