using System.CommandLine;

namespace Transformer.Cli.Devices;

/// <summary>The --device option: which backend runs the model.</summary>
public static class DeviceOption
{
    /// <summary>The CPU backend (SIMD kernels, worker pool).</summary>
    public const string Cpu = "cpu";
    /// <summary>CUDA, else OpenCL, else the CPU backend; the choice and its reason are reported.</summary>
    public const string Auto = "auto";

    /// <summary>Every accepted device name.</summary>
    public static IReadOnlyList<string> Names { get; } = [Auto, Cpu, .. GpuBackends.DeviceNames];

    /// <summary>--device NAME, or a comma-separated list when <paramref name="allowList"/> (bench's side-by-side columns).</summary>
    public static Option<string> Create(bool allowList, string defaultValue)
    {
        var option = new Option<string>("--device", "-d")
        {
            Description = $"Backend: {string.Join(", ", Names)} (auto prefers CUDA, then OpenCL, then the CPU)"
                          + (allowList ? "; several, comma-separated, are measured side by side" : ""),
            DefaultValueFactory = _ => defaultValue,
            HelpName = allowList ? "DEVICE[,DEVICE...]" : string.Join('|', Names),
        };
        option.Validators.Add(result =>
        {
            string value = result.GetValueOrDefault<string>() ?? "";
            var names = Split(value);
            if (!allowList && names.Count != 1) result.AddError("--device takes one device");
            foreach (string name in names.Where(n => !Names.Contains(n)))
                result.AddError($"--device '{name}' is not a device; use one of: {string.Join(", ", Names)}");
        });
        return option;
    }

    /// <summary>The device names of a (comma-separated) value.</summary>
    public static IReadOnlyList<string> Split(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
