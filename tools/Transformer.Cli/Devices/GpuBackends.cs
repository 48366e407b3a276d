using Transformer.Kernels.Backend;
using Transformer.Kernels.Gpu;
using Transformer.Kernels.Gpu.Devices;

namespace Transformer.Cli.Devices;

/// <summary>
/// The GPU backends (ILGPU) behind <c>--device</c>: the only file of the CLI that touches ILGPU, so a
/// CPU-only build can leave it out (<c>TransformerCpuOnly</c>, set by the NativeAOT publish) and compile
/// GpuBackends.CpuOnly.cs in its place.
/// </summary>
internal static class GpuBackends
{
    /// <summary>The <c>--device</c> names of GPU backends, besides <c>auto</c> and <c>cpu</c>.</summary>
    public static IReadOnlyList<string> DeviceNames { get; } = [.. GpuDeviceKinds.Names.Where(n => n != DeviceOption.Auto)];

    /// <summary>
    /// Opens the backend a device name (<c>auto</c> or a GPU name) asks for. Null when <c>auto</c> finds no
    /// GPU; a named device that is missing throws <see cref="GpuDeviceNotFoundException"/>.
    /// <paramref name="reason"/> says why this device (or none) was chosen.
    /// </summary>
    public static (IBackend Backend, string Device)? Open(string device, out string reason)
    {
        if (!GpuDeviceKinds.TryParse(device, out var kind))
            throw new ArgumentException($"--device '{device}' is not a device; use one of: {string.Join(", ", DeviceOption.Names)}");
        var gpu = IlgpuBackend.Open(kind, out var choice);
        reason = choice.Reason;
        return gpu is null ? null : (gpu, KindName(gpu));
    }

    private static string KindName(IlgpuBackend gpu) => gpu.Accelerator.AcceleratorType switch
    {
        ILGPU.Runtime.AcceleratorType.Cuda => GpuDeviceKinds.Name(GpuDeviceKind.Cuda),
        ILGPU.Runtime.AcceleratorType.OpenCL => GpuDeviceKinds.Name(GpuDeviceKind.OpenCL),
        _ => GpuDeviceKinds.Name(GpuDeviceKind.IlgpuCpu),
    };
}
