using Transformer.Kernels.Cpu.Isa;

namespace Transformer.Cli.Tests;

/// <summary>--quant and --isa on run, and the CPU path shown by inspect.</summary>
public sealed class QuantOptionTests
{
    [Fact]
    public async Task Run_with_int8_matches_the_first_greedy_tokens_of_f32()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        string model = GreedyCases.ModelPath("safetensors");
        string[] common = ["run", "--model", model, "--prompt", "Once upon a time", "--temperature", "0", "-n", "8", "--threads", "2"];

        var f32 = await CliRun.InvokeAsync([.. common, "--quant", "f32"]);
        var int8 = await CliRun.InvokeAsync([.. common, "--quant", "int8", "--isa", CpuIsaSupport.Name(CpuIsaSelection.Best)]);

        Assert.Equal(0, f32.ExitCode);
        Assert.Equal(0, int8.ExitCode);
        // greedy.json's margins for this prompt are large over the first tokens (int8 accuracy tests measure them).
        Assert.Equal(f32.Output, int8.Output);
    }

    [Fact]
    public async Task Inspect_shows_the_selected_cpu_path()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        var result = await CliRun.InvokeAsync("inspect", "--model", GreedyCases.ModelPath("folder"), "--isa", "scalar");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"cpu path: {CpuIsaSelection.Describe(CpuIsa.Scalar)}", result.Output);
    }

    [Fact]
    public async Task An_unknown_quant_is_a_usage_error()
    {
        var result = await CliRun.InvokeAsync("run", "--model", "x", "--quant", "int4");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: ", result.ErrorLines[0]);
    }
}
