using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU.Runtime.OpenCL;

namespace Transformer.Gpu.Tests.Fixtures;

/// <summary>
/// TEST-ONLY adjustments that let ILGPU 1.5.3 run on POCL, the CPU OpenCL runtime CI uses. None of this
/// belongs in the backend: on a real GPU, a device that lacks a capability must stay refused.
/// </summary>
public static partial class PoclWorkarounds
{
    private static readonly Lock Gate = new();
    private static bool _libraryPrepared;

    /// <summary>
    /// ILGPU P/Invokes "OpenCL", which resolves to libOpenCL.so — shipped only by the -dev package.
    /// Where only the runtime's libOpenCL.so.1 exists, map the name to it.
    /// </summary>
    public static void PrepareNativeLibrary()
    {
        lock (Gate)
        {
            if (_libraryPrepared) return;
            _libraryPrepared = true;
            if (!OperatingSystem.IsLinux()) return;
            NativeLibrary.SetDllImportResolver(typeof(CLAccelerator).Assembly, (name, assembly, searchPath) =>
            {
                if (name != "OpenCL") return IntPtr.Zero;
                if (NativeLibrary.TryLoad("libOpenCL.so", assembly, searchPath, out var handle)) return handle;
                return NativeLibrary.TryLoad("libOpenCL.so.1", assembly, searchPath, out handle) ? handle : IntPtr.Zero;
            });
        }
    }

    /// <summary>
    /// POCL 3.x reports OpenCL C 3.0 without the optional generic address space, so ILGPU refuses the
    /// device (its OpenCL code uses generic pointers). Two test-only steps admit it:
    /// 1. set the device's Capabilities.GenericAddressSpace (a non-public setter) so ILGPU accepts it;
    /// 2. have POCL's compiler read ILGPU's <c>__generic</c> as <c>__global</c> (POCL_EXTRA_BUILD_FLAGS, set
    ///    natively because .NET's environment changes are not seen by native getenv on Unix). Every
    ///    generic pointer in our kernels points to global memory — shared memory is used through
    ///    statically allocated arrays that ILGPU types as local — so the meaning is unchanged, and any
    ///    kernel that broke this would fail to compile rather than compute wrongly.
    /// Skipped for a device that reports the capability.
    /// </summary>
    public static void AdmitWithoutGenericAddressSpace(CLDevice device)
    {
        if (device.Capabilities.GenericAddressSpace) return;
        var setter = typeof(CLCapabilityContext).GetProperty(nameof(CLCapabilityContext.GenericAddressSpace))!
            .GetSetMethod(nonPublic: true)!;
        setter.Invoke(device.Capabilities, [true]);
        if (OperatingSystem.IsLinux() && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(PoclFlagsVariable)))
        {
            if (setenv(PoclFlagsVariable, "-D__generic=__global", 1) != 0)
                throw new InvalidOperationException($"setenv({PoclFlagsVariable}) failed");
        }
    }

    private const string PoclFlagsVariable = "POCL_EXTRA_BUILD_FLAGS";

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
