using Transformer.Kernels.Backend;

namespace Transformer.Cli.Devices;

/// <summary>
/// Stands in for GpuBackends.cs in a build without the GPU backend (<c>TransformerCpuOnly=true</c>, which the
/// NativeAOT publish sets: ILGPU generates and loads code at run time, which NativeAOT cannot do). The GPU
/// device names stay accepted, so asking for one says that this build lacks it rather than "not a device".
/// </summary>
internal static class GpuBackends
{
    /// <summary>Why no GPU device is ever chosen in this build.</summary>
    public const string Missing = "this build of transformer has no GPU backend (CPU-only NativeAOT build)";

    /// <summary>The GPU device names of the full build (Kernels.Gpu's GpuDeviceKinds.Names less auto, not referenced here).</summary>
    public static IReadOnlyList<string> DeviceNames { get; } = ["cuda", "opencl", "ilgpu-cpu"];

    /// <summary><c>auto</c> finds no GPU; a GPU name is an error that says this build has none.</summary>
    public static (IBackend Backend, string Device)? Open(string device, out string reason)
    {
        if (device != DeviceOption.Auto)
            throw new NotSupportedException($"--device {device}: {Missing}; use --device cpu, or the .NET tool (dotnet tool install transformer) for GPUs");
        reason = Missing;
        return null;
    }
}
