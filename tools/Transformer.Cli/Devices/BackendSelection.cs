using Transformer.Cli.Bench;
using Transformer.Kernels.Backend;

namespace Transformer.Cli.Devices;

/// <summary>
/// A backend chosen for a --device value, with the reason it was chosen. A device that was asked for
/// and is missing is an error (see <see cref="GpuBackends"/>), never a silent fallback;
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
        var gpu = GpuBackends.Open(device, out string reason);
        if (gpu is not { } opened)
            return new BackendSelection(KernelOptions.CreateBackend(isa, threads), DeviceOption.Cpu, $"{reason}; running on the CPU backend");
        return new BackendSelection(opened.Backend, opened.Device, reason);
    }

    /// <inheritdoc/>
    public void Dispose() => Backend.Dispose();
}
