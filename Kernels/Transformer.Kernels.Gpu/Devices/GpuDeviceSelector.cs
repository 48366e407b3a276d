using ILGPU;
using ILGPU.Backends.OpenCL;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Transformer.Kernels.Gpu.Devices;

/// <summary>
/// Finds the ILGPU device a <see cref="GpuDeviceKind"/> names. <see cref="GpuDeviceKind.Auto"/> prefers
/// CUDA, then OpenCL, and otherwise answers "none" so the caller uses the CPU backend; an explicit kind
/// that is missing throws <see cref="GpuDeviceNotFoundException"/>, never falls back.
/// </summary>
public static class GpuDeviceSelector
{
    // Device enumeration goes through the native CUDA and OpenCL drivers; creating contexts from several
    // threads at once crashed the process (SIGSEGV) with Debian's OpenCL ICD loader and POCL, so one at a time.
    private static readonly Lock s_enumeration = new();

    /// <summary>
    /// Creates an ILGPU context that sees every CUDA device, every OpenCL device (usable or not, so
    /// that errors can list them) and the CPU accelerator, with ILGPU.Algorithms enabled. Thread-safe.
    /// </summary>
    public static Context CreateContext()
    {
        lock (s_enumeration)
        {
            // CPUDeviceKind.AMD: the default CPU device allows only 16 threads per group, too few for our reductions.
            return Context.Create(builder => builder.Cuda().OpenCL(_ => true).CPU(CPUDeviceKind.AMD).EnableAlgorithms());
        }
    }

    /// <summary>Chooses the device for a kind among those the context sees.</summary>
    /// <exception cref="GpuDeviceNotFoundException">An explicit kind has no usable device.</exception>
    public static GpuDeviceChoice Choose(Context context, GpuDeviceKind kind)
    {
        ArgumentNullException.ThrowIfNull(context);
        switch (kind)
        {
            case GpuDeviceKind.Auto:
                if (FirstUsable(context, AcceleratorType.Cuda) is { } cuda)
                    return new(kind, cuda, $"auto: chose CUDA device '{cuda.Name}', the first CUDA device");
                if (FirstUsable(context, AcceleratorType.OpenCL) is { } openCl)
                    return new(kind, openCl, $"auto: no CUDA device; chose OpenCL device '{openCl.Name}'");
                return new(kind, null, "auto: no usable CUDA or OpenCL device; use the CPU backend. Devices seen: "
                    + string.Join("; ", DescribeDevices(context)));
            case GpuDeviceKind.Cuda:
                return Explicit(context, kind, AcceleratorType.Cuda);
            case GpuDeviceKind.OpenCL:
                return Explicit(context, kind, AcceleratorType.OpenCL);
            case GpuDeviceKind.IlgpuCpu:
                return Explicit(context, kind, AcceleratorType.CPU);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown GPU device kind");
        }
    }

    /// <summary>One line per device the context sees: type, name, and whether this backend can use it.</summary>
    public static IReadOnlyList<string> DescribeDevices(Context context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var lines = new List<string>();
        foreach (var device in context)
        {
            string? problem = UnusableReason(device);
            lines.Add($"{device.AcceleratorType} '{device.Name}'{MemoryNote(device.AcceleratorType, device.MemorySize)}"
                + (problem is null ? "" : $" (unusable: {problem})"));
        }
        return lines;
    }

    /// <summary>
    /// <c>, 8192 MiB</c>: the device's memory, for real devices only. ILGPU's CPU emulator reports
    /// <see cref="long.MaxValue"/> bytes (printed as 8,796,093,022,207 MiB), which says nothing about the machine.
    /// </summary>
    public static string MemoryNote(AcceleratorType type, long bytes) =>
        type == AcceleratorType.CPU ? ", host memory" : $", {bytes / (1024 * 1024)} MiB";

    /// <summary>
    /// Why ILGPU cannot run this device, or null when it can. ILGPU's OpenCL backend emits generic
    /// address-space pointers, so it needs OpenCL C 2.0+ with the generic address space.
    /// </summary>
    public static string? UnusableReason(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device is CLDevice cl)
        {
            if (cl.CLStdVersion < CLCVersion.CL20) return $"OpenCL C {cl.CLStdVersion}, ILGPU needs 2.0 or later";
            if (!cl.Capabilities.GenericAddressSpace) return "does not report the OpenCL generic address space ILGPU requires";
        }
        return null;
    }

    private static GpuDeviceChoice Explicit(Context context, GpuDeviceKind kind, AcceleratorType type)
    {
        var device = FirstUsable(context, type) ?? throw new GpuDeviceNotFoundException(kind, DescribeDevices(context));
        return new(kind, device, $"{GpuDeviceKinds.Name(kind)} requested: chose {type} device '{device.Name}'");
    }

    private static Device? FirstUsable(Context context, AcceleratorType type)
    {
        foreach (var device in context)
            if (device.AcceleratorType == type && UnusableReason(device) is null) return device;
        return null;
    }
}
