namespace Transformer.Kernels.Gpu.Devices;

/// <summary>
/// A device kind was asked for and this machine has no usable device of that kind. Thrown instead of
/// falling back silently: the message lists every device ILGPU sees and why each was passed over.
/// </summary>
public sealed class GpuDeviceNotFoundException : Exception
{
    /// <summary>Creates the exception for a requested kind and the devices that were seen.</summary>
    public GpuDeviceNotFoundException(GpuDeviceKind requested, IReadOnlyList<string> devicesSeen)
        : base(BuildMessage(requested, devicesSeen))
    {
        Requested = requested;
        DevicesSeen = devicesSeen;
    }

    /// <summary>The kind that was asked for.</summary>
    public GpuDeviceKind Requested { get; }

    /// <summary>One line per device ILGPU sees, with whether it is usable.</summary>
    public IReadOnlyList<string> DevicesSeen { get; }

    private static string BuildMessage(GpuDeviceKind requested, IReadOnlyList<string> devicesSeen)
    {
        string seen = devicesSeen.Count == 0 ? " (none)" : "\n  " + string.Join("\n  ", devicesSeen);
        return $"no usable {GpuDeviceKinds.Name(requested)} device on this machine. Devices ILGPU sees:{seen}";
    }
}
