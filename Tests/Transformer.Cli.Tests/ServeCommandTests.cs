using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Transformer.Cli;

namespace Transformer.Cli.Tests;

/// <summary><c>transformer serve</c>: its options, and a real server started and stopped in-process.</summary>
public sealed partial class ServeCommandTests
{
    [Theory]
    [InlineData("512MiB", 512L << 20)]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("1.5GB", 1_500_000_000L)]
    [InlineData("2 gb", 2_000_000_000L)]
    [InlineData("64kib", 64L << 10)]
    [InlineData("1048576", 1048576L)]
    [InlineData("100B", 100L)]
    public void Sizes_parse_with_decimal_and_binary_units(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out long parsed, out string? error), error);
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("2 gigs", "not a size")]
    [InlineData("-1GiB", "not a size")]
    [InlineData("", "not a size")]
    [InlineData("0", "out of range")]
    [InlineData("99999999EiB", "not a size")]
    [InlineData("9999999999TiB", "out of range")]
    public void Bad_sizes_are_refused_with_the_reason(string text, string reason)
    {
        Assert.False(ByteSize.TryParse(text, out _, out string? error));
        Assert.Contains(reason, error);
    }

    [Theory]
    [InlineData("--kv-memory", "lots", "--kv-memory 'lots' is not a size")]
    [InlineData("--port", "70000", "--port must be in [0, 65535]")]
    [InlineData("--max-sequences", "0", "--max-sequences must be at least 1")]
    [InlineData("--queue", "-1", "--queue must be ≥ 0")]
    [InlineData("--kv-type", "f8", "f8")]
    public async Task Bad_option_values_are_usage_errors(string option, string value, string expected)
    {
        var result = await CliRun.InvokeAsync("serve", "--model", "unused", option, value);
        Assert.Equal(CliErrors.Usage, result.ExitCode);
        Assert.Contains(expected, Assert.Single(result.ErrorLines));
    }

    [Fact]
    public async Task A_missing_model_or_chat_template_is_one_error_line_naming_it()
    {
        string missing = Path.Combine(Path.GetTempPath(), "no-model-" + Guid.NewGuid().ToString("N"));
        var result = await CliRun.InvokeAsync("serve", "--model", missing);
        Assert.Equal(CliErrors.Failure, result.ExitCode);
        Assert.Contains(missing, Assert.Single(result.ErrorLines));

        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        var noTemplate = await CliRun.InvokeAsync("serve", "--model", SharedModels.Stories260K, "--chat-template", missing + ".jinja");
        Assert.Equal(CliErrors.Failure, noTemplate.ExitCode);
        Assert.Contains(missing + ".jinja", Assert.Single(noTemplate.ErrorLines));
    }

    [GeneratedRegex(@"serving \S+ at (http://\S+)/v1 ")]
    private static partial Regex ServingLine();

    [Fact]
    public async Task Serve_listens_answers_under_its_model_id_and_stops_on_cancellation()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        using var output = new MemoryStream();
        var written = new StringWriter { NewLine = "\n" };
        // Its methods lock on the wrapper itself, so reading under the same lock sees whole lines.
        var error = TextWriter.Synchronized(written);
        string Written() { lock (error) return written.ToString(); }
        using var stop = new CancellationTokenSource();
        var run = TransformerCli.InvokeAsync(
            ["serve", "--model", SharedModels.Stories260K, "--port", "0", "--model-id", "tiny-stories", "--threads", "1", "--max-sequences", "4", "--kv-memory", "8MiB", "--kv-type", "f16"],
            new CliContext(output, error), stop.Token);

        Match serving = Match.Empty;
        for (var deadline = DateTime.UtcNow.AddSeconds(60); !(serving = ServingLine().Match(Written())).Success;)
        {
            Assert.False(run.IsCompleted, $"serve ended early: {Written()}");
            Assert.True(DateTime.UtcNow < deadline, $"serve did not start: {Written()}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        using var http = new HttpClient { BaseAddress = new Uri(serving.Groups[1].Value + "/") };
        using var models = JsonDocument.Parse(await http.GetStringAsync("v1/models", TestContext.Current.CancellationToken));
        Assert.Equal("tiny-stories", models.RootElement.GetProperty("data")[0].GetProperty("id").GetString());
        using var completion = await http.PostAsJsonAsync("v1/completions", new { model = "tiny-stories", prompt = "Lily", max_tokens = 5 }, TestContext.Current.CancellationToken);
        Assert.Equal(200, (int)completion.StatusCode);

        stop.Cancel();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.Contains("KV F16", Written());
    }
}
