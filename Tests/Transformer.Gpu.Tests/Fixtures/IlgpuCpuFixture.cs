using Transformer.Kernels.Gpu.Devices;

namespace Transformer.Gpu.Tests.Fixtures;

/// <summary>ILGPU's CPU accelerator: present on every machine.</summary>
public sealed class IlgpuCpuFixture : AcceleratorFixture
{
    public IlgpuCpuFixture() => Open(() =>
    {
        var context = GpuDeviceSelector.CreateContext();
        var choice = GpuDeviceSelector.Choose(context, GpuDeviceKind.IlgpuCpu);
        return (context, choice.Device!.CreateAccelerator(context), "");
    });

    public override string Name => "ilgpu-cpu";
}

[CollectionDefinition(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuCollection : ICollectionFixture<IlgpuCpuFixture>;
