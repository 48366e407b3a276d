using ILGPU.Runtime;

namespace Transformer.Kernels.Gpu.Devices;

/// <summary>
/// The outcome of device selection: the device chosen (null when <see cref="GpuDeviceKind.Auto"/>
/// found no GPU and the caller should use the CPU backend) and, in words, why.
/// </summary>
/// <param name="Requested">The kind that was asked for.</param>
/// <param name="Device">The chosen device, or null for "use the CPU backend".</param>
/// <param name="Reason">Why this device was chosen (or none), for <c>inspect</c> and <c>bench</c> to print.</param>
public sealed record GpuDeviceChoice(GpuDeviceKind Requested, Device? Device, string Reason)
{
    /// <summary>True when a GPU device was chosen.</summary>
    public bool HasDevice => Device is not null;
}
