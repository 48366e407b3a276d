using Transformer.Cli.Bench;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Gpu;
using Transformer.Kernels.Gpu.Devices;

namespace Transformer.Cli.Devices;

/// <summary>
/// A backend chosen for a --device value, with the reason it was chosen. A device that was asked for
/// and is missing is an error (<see cref="GpuDeviceNotFoundException"/>), never a silent fallback;
/// only <c>auto</c> falls back to the CPU, and says so in <see cref="Reason"/>.
/// </summary>
public sealed class BackendSelection : IDisposable
{
    private BackendSelection(IBackend backend, string device, string reason)
    {
        Backend = backend;
        Device = device;
        Reason = reason;
    }

    /// <summary>The backend that runs the model.</summary>
    public IBackend Backend { get; }
    /// <summary>The device name that ran: cpu, cuda, opencl or ilgpu-cpu.</summary>
    public string Device { get; }
    /// <summary>Why this device runs.</summary>
    public string Reason { get; }

    /// <summary>Creates the backend a --device value names; --isa and --threads apply to the CPU backend.</summary>
    public static BackendSelection Create(string device, string? isa, int threads)
    {
        if (device == DeviceOption.Cpu)
            return new BackendSelection(KernelOptions.CreateBackend(isa, threads), DeviceOption.Cpu, "--device cpu");
        if (!GpuDeviceKinds.TryParse(device, out var kind))
            throw new ArgumentException($"--device '{device}' is not a device; use one of: {string.Join(", ", DeviceOption.Names)}");

        var gpu = IlgpuBackend.Open(kind, out var choice);
        if (gpu is null)
            return new BackendSelection(KernelOptions.CreateBackend(isa, threads), DeviceOption.Cpu, $"{choice.Reason}; running on the CPU backend");
        return new BackendSelection(gpu, KindName(gpu), choice.Reason);
    }

    private static string KindName(IlgpuBackend gpu) => gpu.Accelerator.AcceleratorType switch
    {
        ILGPU.Runtime.AcceleratorType.Cuda => GpuDeviceKinds.Name(GpuDeviceKind.Cuda),
        ILGPU.Runtime.AcceleratorType.OpenCL => GpuDeviceKinds.Name(GpuDeviceKind.OpenCL),
        _ => GpuDeviceKinds.Name(GpuDeviceKind.IlgpuCpu),
    };

    /// <inheritdoc/>
    public void Dispose() => Backend.Dispose();
}
