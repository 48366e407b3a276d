using ILGPU.Runtime.OpenCL;
using Transformer.Kernels.Gpu.Devices;

namespace Transformer.Gpu.Tests.Fixtures;

/// <summary>
/// The first OpenCL device (in CI: POCL, OpenCL on the CPU). Skips with a reason when the machine has
/// no OpenCL runtime or device; .ci/gpu-prereqs.sh installs POCL.
/// </summary>
public sealed class OpenClFixture : AcceleratorFixture
{
    public OpenClFixture() => Open(() =>
    {
        PoclWorkarounds.PrepareNativeLibrary();
        var context = GpuDeviceSelector.CreateContext();
        if (context.GetCLDevices().Count == 0)
            return (context, null, "no OpenCL device on this machine (install POCL with .ci/gpu-prereqs.sh): "
                + string.Join("; ", GpuDeviceSelector.DescribeDevices(context)));
        foreach (var device in context.GetCLDevices()) PoclWorkarounds.AdmitWithoutGenericAddressSpace(device);
        var choice = GpuDeviceSelector.Choose(context, GpuDeviceKind.OpenCL);
        return (context, choice.Device!.CreateAccelerator(context), "");
    });

    public override string Name => "opencl";
}

[CollectionDefinition(nameof(OpenClCollection))]
public sealed class OpenClCollection : ICollectionFixture<OpenClFixture>;
