using ILGPU;
using ILGPU.Runtime.CPU;
using Transformer.Kernels.Gpu;

namespace Transformer.Gpu.Tests.Fixtures;

/// <summary>
/// ILGPU's CPU accelerator, present on every machine. An explicit CPUDevice of 16 OS threads
/// (4 per warp × 4 warps × 1 multiprocessor) rather than CPUDeviceKind.AMD's 256: the emulator wakes
/// every thread for each launch, which dominated the model tests on a small CI machine. Kernel
/// tests use 16-thread groups so the shared-memory reductions really run with many threads; model
/// tests use the emulator's defaults (one-thread groups).
/// </summary>
public sealed class IlgpuCpuFixture : AcceleratorFixture
{
    public IlgpuCpuFixture() => Open(() =>
    {
        var context = Context.Create(builder => builder.CPU(new CPUDevice(4, 4, 1)).EnableAlgorithms());
        return (context, context.GetCPUDevices()[0].CreateAccelerator(context), "");
    }, new IlgpuLaunchSizes(ReductionThreads: 16));

    public override string Name => "ilgpu-cpu";
}

[CollectionDefinition(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuCollection : ICollectionFixture<IlgpuCpuFixture>;
