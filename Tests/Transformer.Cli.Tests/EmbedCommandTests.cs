using System.Text.Json;

namespace Transformer.Cli.Tests;

/// <summary><c>transformer embed</c> on the tiny BERT fixture, whose PyTorch-pooled vectors are in its reference.json.</summary>
public sealed class EmbedCommandTests
{
    private static string Fixture => Path.Combine(RepositoryPaths.Root, "Tests", "Transformer.Runtime.Tests", "Fixtures", "bert");

    private static float[] Expected(int index) =>
        ReferenceJson.Load(Path.Combine(Fixture, "reference.json")).GetProperty("cases")[index]
            .GetProperty("pooled").GetProperty("mean_normalized").EnumerateArray().Select(e => e.GetSingle()).ToArray();

    [Fact]
    public async Task Json_prints_the_pooled_normalized_vector_of_the_token_ids()
    {
        var result = await CliRun.InvokeAsync("embed", "--model", Fixture, "--tokens", "2,15,27,3", "--json", "--threads", "1");
        Assert.True(result.ExitCode == 0, result.StandardError);
        using var document = JsonDocument.Parse(result.Output);
        var root = document.RootElement;
        Assert.Equal(32, root.GetProperty("dimensions").GetInt32());
        Assert.Equal([2, 15, 27, 3], ReferenceJson.Ints(root.GetProperty("tokens")));
        float[] vector = root.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        float[] expected = Expected(0);
        Assert.Equal(expected.Length, vector.Length);
        Assert.All(vector.Zip(expected), p => Assert.True(MathF.Abs(p.First - p.Second) <= 1e-4f, $"{p.First} vs {p.Second}"));
    }

    [Fact]
    public async Task Plain_output_is_one_number_per_line()
    {
        var result = await CliRun.InvokeAsync("embed", "--model", Fixture, "--tokens", "2, 7, 3", "--threads", "1");
        Assert.True(result.ExitCode == 0, result.StandardError);
        float[] vector = Lines(result.Output);
        Assert.Equal(Expected(2).Length, vector.Length);
        Assert.All(vector.Zip(Expected(2)), p => Assert.True(MathF.Abs(p.First - p.Second) <= 1e-4f));
    }

    [Fact]
    public async Task The_ilgpu_backend_prints_the_cpu_backend_vector()
    {
        // ILGPU's CPU accelerator runs the encoder kernels the GPUs run, so this holds them to the CPU backend.
        var cpu = await CliRun.InvokeAsync("embed", "--model", Fixture, "--tokens", "2,15,27,3", "--device", "cpu", "--threads", "1");
        var gpu = await CliRun.InvokeAsync("embed", "--model", Fixture, "--tokens", "2,15,27,3", "--device", "ilgpu-cpu");
        Assert.True(cpu.ExitCode == 0, cpu.StandardError);
        Assert.True(gpu.ExitCode == 0, gpu.StandardError);
        Assert.StartsWith("device: cpu ", Assert.Single(cpu.ErrorLines));
        Assert.StartsWith("device: ilgpu cpu", Assert.Single(gpu.ErrorLines));
        float[] expected = Lines(cpu.Output), actual = Lines(gpu.Output);
        Assert.Equal(32, actual.Length);
        Assert.Equal(expected.Length, actual.Length);
        Assert.All(actual.Zip(expected), p => Assert.True(MathF.Abs(p.First - p.Second) <= 1e-5f, $"{p.First} vs {p.Second}"));
    }

    [Fact]
    public async Task An_unknown_device_is_a_usage_error()
    {
        var result = await CliRun.InvokeAsync("embed", "--model", Fixture, "--tokens", "2,3", "--device", "tpu");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--device 'tpu' is not a device; use one of: auto, cpu, cuda, opencl, ilgpu-cpu", Assert.Single(result.ErrorLines));
    }

    private static float[] Lines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => float.Parse(l, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    [Theory]
    [InlineData("no tokenizer was found", "--text", "hello")]
    [InlineData("'x' is not a token id", "--tokens", "2,x,3")]
    [InlineData("outside the vocabulary of 100", "--tokens", "2,100,3")]
    public async Task Bad_input_is_one_error_line(string message, string option, string value)
    {
        var result = await CliRun.InvokeAsync("embed", "--model", Fixture, option, value);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.StandardError);
    }

    [Fact]
    public async Task Text_and_tokens_together_are_a_usage_error()
    {
        var result = await CliRun.InvokeAsync("embed", "--model", Fixture, "--text", "a", "--tokens", "2,3");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("exactly one of --text and --tokens", result.StandardError);
    }
}
