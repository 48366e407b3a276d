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
        Assert.Equal($"total: {count} tensors, 260,032 parameters, {bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes", lines[^2]);
        Assert.Equal("", lines[^1]);
    }
}
