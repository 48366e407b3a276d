using System.Text;

namespace Transformer.Cli.Tests;

/// <summary>Every kind of bad input gives exactly one <c>error: </c> line on stderr, nothing on stdout, and a non-zero exit.</summary>
public sealed class BadInputTests
{
    private const string TinyConfig = """
        {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 8, "intermediate_size": 16,
         "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 16,
         "max_position_embeddings": 32}
        """;

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

    [Theory]
    [InlineData("run", "--max-tokens", "99999999999", "--max-tokens 99999999999 is out of range")]
    [InlineData("run", "-n", "-99999999999", "--max-tokens -99999999999 is out of range")]
    [InlineData("run", "--top-k", "3000000000", "--top-k 3000000000 is out of range")]
    [InlineData("run", "--seed", "99999999999", "--seed 99999999999 is out of range")]
    [InlineData("run", "--threads", "99999999999999999999999", "--threads 99999999999999999999999 is out of range")]
    [InlineData("bench", "--reps", "99999999999", "--reps 99999999999 is out of range")]
    [InlineData("bench", "--prompt-tokens", "4294967296", "--prompt-tokens 4294967296 is out of range")]
    [InlineData("inspect", "--threads", "2147483648", "--threads 2147483648 is out of range")]
    public async Task An_out_of_range_integer_says_so(string command, string option, string value, string expected)
    {
        string[] args = command == "bench" ? ["bench", "--preset", "tiny", option, value] : [command, "--model", "unused", option, value];
        var result = await CliRun.InvokeAsync(args);

        Assert.Equal(CliErrors.Usage, result.ExitCode);
        AssertOneError(result, expected);
        Assert.Contains("to 2147483647", result.StandardError.Replace("and at most", "to"));
    }

    [Fact]
    public async Task Unknown_option_and_missing_required_option()
    {
        AssertOneError(await CliRun.InvokeAsync("run", "--model", "x", "--no-such-option"), "--no-such-option");
        AssertOneError(await CliRun.InvokeAsync("quantize", "--out", "x"), "--model");
    }

    [Fact]
    public async Task A_garbage_safetensors_header_gives_a_short_line()
    {
        using var dir = new TempDirectory();
        // A header whose one key is 5,000 characters long: the message quotes the tensor name, capped.
        string name = new('x', 5000);
        byte[] header = Encoding.UTF8.GetBytes($"{{\"{name}\": 7}}");
        File.WriteAllText(Path.Combine(dir.Path, "config.json"), TinyConfig);
        string weights = Path.Combine(dir.Path, "model.safetensors");
        File.WriteAllBytes(weights, [.. BitConverter.GetBytes((long)header.Length), .. header]);

        var result = await CliRun.InvokeAsync("inspect", "--model", weights);

        AssertOneError(result, "(5,000 characters)");
        Assert.True(result.ErrorLines[0].Length < 400, $"{result.ErrorLines[0].Length} characters: {result.ErrorLines[0]}");
    }

    [Fact]
    public async Task A_long_bad_option_value_is_quoted_capped()
    {
        string value = new string('9', 300) + "x";
        var result = await CliRun.InvokeAsync("run", "--model", "unused", "--max-tokens", value);

        AssertOneError(result, "(301 characters)");
        Assert.True(result.ErrorLines[0].Length < 200, result.ErrorLines[0]);
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
        File.WriteAllText(Path.Combine(dir.Path, "config.json"), TinyConfig);
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
    public async Task A_corrupt_tokenizer_json_beside_the_model_is_an_error_even_with_another_tokenizer_there()
    {
        using var dir = new TempDirectory();
        foreach (string file in new[] { "stories260K.bin", "tok512.bin" })
            File.Copy(Path.Combine(DefaultModel.Directory, file), Path.Combine(dir.Path, file));
        string tokenizerJson = Path.Combine(dir.Path, "tokenizer.json");
        File.WriteAllText(tokenizerJson, "{\"model\": {\"type\": \"BPE\", \"vocab\": {");

        var result = await CliRun.InvokeAsync("run", "--model", dir.Path, "--prompt", "Lily", "-n", "4");

        AssertOneError(result, tokenizerJson + ": not valid JSON");
    }

    internal static void AssertOneError(CliResult result, string expectedFragment)
    {
        Assert.NotEqual(0, result.ExitCode);
        Assert.Empty(result.StandardOutput);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        Assert.Contains(expectedFragment, line);
        Assert.DoesNotContain("   at ", result.StandardError);
    }
}
