using System.Globalization;
using Transformer.Kernels.Tensors;
using Transformer.Loader;

namespace Transformer.Cli.Tests;

/// <summary><c>transformer inspect</c> reports what the loader reads from the file.</summary>
public sealed class InspectCommandTests
{
    [Theory]
    [InlineData("folder")]
    [InlineData("bin")]
    [InlineData("safetensors")]
    public async Task Reports_architecture_config_parameters_and_every_tensor(string form)
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        string path = GreedyCases.ModelPath(form);

        var result = await CliRun.InvokeAsync("inspect", "--model", path);

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.StandardError);
        var lines = result.Output.Split('\n');
        Assert.Contains("architecture: LlamaForCausalLM", lines);
        Assert.Contains("  hidden_size: 64", lines);
        Assert.Contains("  num_key_value_heads: 4", lines);
        Assert.Contains("  vocab_size: 512", lines);
        // stories260K's published size: 260K parameters (tied classifier, so no separate lm_head).
        Assert.Contains("parameters: 260,032", lines);

        using var files = ModelFiles.Open(path);
        long bytes = 0;
        foreach (var tensor in files.Weights.Tensors)
        {
            var line = Assert.Single(lines, l => l.TrimStart().StartsWith(tensor.Name + " ", StringComparison.Ordinal));
            var fields = line.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal([tensor.Name, DTypes.Name(tensor.Type), $"[{string.Join(", ", tensor.Shape)}]", $"{tensor.Data.Length.ToString("N0", CultureInfo.InvariantCulture)} bytes"], fields);
            Assert.Equal(tensor.ElementCount * DTypes.SizeOf(tensor.Type), tensor.Data.Length);
            bytes += tensor.Data.Length;
        }
        string count = files.Weights.Tensors.Count.ToString("N0", CultureInfo.InvariantCulture);
        Assert.Equal($"total: {count} tensors, 260,032 parameters, {bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes", lines[^3]);
        Assert.Equal("check: every tensor run loads is present with the shape the config implies", lines[^2]);
        Assert.Equal("", lines[^1]);
    }

    [Fact]
    public async Task Without_a_model_it_reports_the_bundled_stories260K()
    {
        var result = await CliRun.InvokeAsync("inspect");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"model: {Path.Combine(DefaultModel.Directory, "stories260K.bin")}", result.Output.Split('\n'));
        Assert.Contains("parameters: 260,032", result.Output.Split('\n'));
    }

    [Fact]
    public async Task Reports_the_threads_run_would_use_and_accepts_threads()
    {
        var byDefault = await CliRun.InvokeAsync("inspect", "--device", "cpu");
        var one = await CliRun.InvokeAsync("inspect", "--device", "cpu", "--threads", "1");

        int cores = Environment.ProcessorCount;
        Assert.Contains($"threads: {cores} (every core; --threads N to change)", byDefault.Output.Split('\n'));
        Assert.EndsWith($", {cores} thread(s)); why: --device cpu", byDefault.Output.Split('\n')[0]);
        Assert.Contains("threads: 1 (--threads 1)", one.Output.Split('\n'));
        Assert.EndsWith(", 1 thread(s)); why: --device cpu", one.Output.Split('\n')[0]);
    }

    [Fact]
    public async Task The_ilgpu_cpu_emulator_is_reported_without_a_memory_size()
    {
        var result = await CliRun.InvokeAsync("inspect", "--device", "ilgpu-cpu");

        Assert.Equal(0, result.ExitCode);
        string device = result.Output.Split('\n')[0];
        Assert.StartsWith("device: ilgpu-cpu (ilgpu cpu ", device);
        Assert.Contains("host memory", device);
        Assert.DoesNotContain("MiB", device);
    }

    [Fact]
    public async Task A_tensor_of_the_wrong_shape_is_reported_after_the_tensor_list()
    {
        using var dir = new TempDirectory();
        ShapeFixture.WriteWithWrongShape(dir.Path, "model.layers.0.mlp.up_proj.weight");

        var result = await CliRun.InvokeAsync("inspect", "--model", dir.Path);

        Assert.Equal(CliErrors.Failure, result.ExitCode);
        Assert.Contains("model.layers.0.mlp.up_proj.weight", result.Output);
        var error = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", error);
        Assert.Contains("tensor 'model.layers.0.mlp.up_proj.weight' has shape [16, 8], the config implies [24, 8]", error);
        // run refuses the same model with the same words.
        var run = await CliRun.InvokeAsync("run", "--model", dir.Path, "--tokenizer", Path.Combine(DefaultModel.Directory, "tok512.bin"));
        Assert.Contains("tensor 'model.layers.0.mlp.up_proj.weight' has shape [16, 8], the config implies [24, 8]", run.StandardError);
    }
}
