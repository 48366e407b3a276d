namespace Transformer.Kernels.Gpu.Devices;

/// <summary>Which ILGPU device a GPU backend runs on.</summary>
public enum GpuDeviceKind
{
    /// <summary>CUDA if present, else OpenCL; when neither is, the caller falls back to the CPU backend.</summary>
    Auto,
    /// <summary>An NVIDIA GPU through CUDA.</summary>
    Cuda,
    /// <summary>An OpenCL device (a GPU, or a CPU through a runtime such as POCL).</summary>
    OpenCL,
    /// <summary>ILGPU's CPU accelerator: an emulator of the GPU model, for tests and debugging.</summary>
    IlgpuCpu,
}

/// <summary>The command-line names of <see cref="GpuDeviceKind"/> values.</summary>
public static class GpuDeviceKinds
{
    /// <summary>The names <see cref="TryParse"/> accepts, in the order <c>--device</c> lists them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["auto", "cuda", "opencl", "ilgpu-cpu"];

    /// <summary>The command-line name of a kind, e.g. <c>ilgpu-cpu</c>.</summary>
    public static string Name(GpuDeviceKind kind) => kind switch
    {
        GpuDeviceKind.Auto => "auto",
        GpuDeviceKind.Cuda => "cuda",
        GpuDeviceKind.OpenCL => "opencl",
        GpuDeviceKind.IlgpuCpu => "ilgpu-cpu",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown GPU device kind"),
    };

    /// <summary>Parses a command-line name (case-insensitive); false for anything else, including <c>cpu</c>, which is not a GPU backend.</summary>
    public static bool TryParse(string name, out GpuDeviceKind kind)
    {
        switch (name.Trim().ToLowerInvariant())
        {
            case "auto": kind = GpuDeviceKind.Auto; return true;
            case "cuda": kind = GpuDeviceKind.Cuda; return true;
            case "opencl": kind = GpuDeviceKind.OpenCL; return true;
            case "ilgpu-cpu": kind = GpuDeviceKind.IlgpuCpu; return true;
            default: kind = default; return false;
        }
    }
}
