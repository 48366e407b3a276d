using System.Text.Json;
using Transformer.Kernels.Gpu.Devices;

namespace Transformer.Cli.Tests;

/// <summary>--device: which backend runs, and why; a device asked for and missing is an error, never a fallback.</summary>
public sealed class DeviceOptionTests
{
    [Fact]
    public async Task Bench_measures_the_cpu_and_a_gpu_backend_side_by_side()
    {
        // ILGPU's CPU accelerator is an emulator: tiny preset, few tokens.
        var result = await CliRun.InvokeAsync("bench", "--preset", "tiny", "--device", "cpu,ilgpu-cpu", "--quant", "f32",
            "--prompt-tokens", "4", "--gen-tokens", "2", "--json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var rows = json.RootElement.EnumerateArray().ToArray();
        Assert.Equal(["cpu", "ilgpu-cpu"], rows.Select(r => r.GetProperty("device").GetString()).ToArray());
        Assert.StartsWith("ilgpu cpu", rows[1].GetProperty("backend").GetString());
        Assert.Equal("-", rows[1].GetProperty("isa").GetString());
        Assert.All(rows, r => Assert.True(r.GetProperty("decode_tok_s").GetDouble() > 0));
        Assert.All(rows, r => Assert.False(string.IsNullOrEmpty(r.GetProperty("device_reason").GetString())));
    }

    [Fact]
    public async Task Inspect_says_which_device_would_run_and_why()
    {
        string model = SharedModels.Stories260KFile("stories260K.bin");

        var result = await CliRun.InvokeAsync("inspect", "--model", model, "--device", "cpu");

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("device: cpu (cpu ", FirstLine(result.Output));
        Assert.EndsWith("why: --device cpu", FirstLine(result.Output));
    }

    [Fact]
    public async Task Auto_names_the_device_it_chose_and_the_reason()
    {
        string model = SharedModels.Stories260KFile("stories260K.bin");

        var result = await CliRun.InvokeAsync("inspect", "--model", model, "--device", "auto");

        Assert.Equal(0, result.ExitCode);
        Assert.Matches("^device: (cpu|cuda|opencl) \\(.+\\); why: .+", FirstLine(result.Output));
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("opencl")]
    public async Task A_missing_gpu_that_was_asked_for_is_an_error(string device)
    {
        Assert.SkipWhen(HasUsable(device), $"this machine has a usable {device} device");

        var result = await CliRun.InvokeAsync("run", "--model", "missing-is-not-reached", "--device", device);

        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"error: no usable {device} device", error);
    }

    private static bool HasUsable(string device)
    {
        using var context = GpuDeviceSelector.CreateContext();
        Assert.True(GpuDeviceKinds.TryParse(device, out var kind));
        try
        {
            return GpuDeviceSelector.Choose(context, kind).Device is not null;
        }
        catch (GpuDeviceNotFoundException)
        {
            return false;
        }
    }

    private static string FirstLine(string output) => output.Split('\n')[0];

    [Fact]
    public async Task An_unknown_device_is_a_usage_error()
    {
        var result = await CliRun.InvokeAsync("run", "--device", "tpu");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--device 'tpu' is not a device", Assert.Single(result.ErrorLines));
    }
}
