using ILGPU.Runtime;
using Transformer.Gpu.Tests.Fixtures;
using Transformer.Kernels.Gpu;
using Transformer.Kernels.Gpu.Devices;

namespace Transformer.Gpu.Tests.Devices;

/// <summary>Device names, auto resolution, and the error for a missing device.</summary>
public sealed class DeviceSelectionTests
{
    [Theory]
    [InlineData("auto", GpuDeviceKind.Auto)]
    [InlineData("cuda", GpuDeviceKind.Cuda)]
    [InlineData("OpenCL", GpuDeviceKind.OpenCL)]
    [InlineData("ilgpu-cpu", GpuDeviceKind.IlgpuCpu)]
    public void NamesParseAndRoundTrip(string name, GpuDeviceKind kind)
    {
        Assert.True(GpuDeviceKinds.TryParse(name, out var parsed));
        Assert.Equal(kind, parsed);
        Assert.Equal(name.ToLowerInvariant(), GpuDeviceKinds.Name(kind));
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    [InlineData("")]
    public void OtherNamesAreNotGpuDevices(string name) => Assert.False(GpuDeviceKinds.TryParse(name, out _));

    [Fact]
    public void AutoPrefersCudaThenOpenClThenNothing()
    {
        using var context = AcceleratorFixture.Serialized(GpuDeviceSelector.CreateContext);
        var usable = context.Devices.Where(d => GpuDeviceSelector.UnusableReason(d) is null).ToList();
        var choice = GpuDeviceSelector.Choose(context, GpuDeviceKind.Auto);
        var expected = usable.FirstOrDefault(d => d.AcceleratorType == AcceleratorType.Cuda)
            ?? usable.FirstOrDefault(d => d.AcceleratorType == AcceleratorType.OpenCL);
        Assert.Same(expected, choice.Device);
        if (expected is null) Assert.Contains("CPU backend", choice.Reason);
        else Assert.Contains(expected.Name, choice.Reason);
    }

    [Fact]
    public void AMissingDeviceIsAnErrorListingWhatIsSeenNeverAFallback()
    {
        using var context = AcceleratorFixture.Serialized(GpuDeviceSelector.CreateContext);
        Assert.SkipWhen(context.Devices.Any(d => d.AcceleratorType == AcceleratorType.Cuda), "this machine has a CUDA device");
        var error = Assert.Throws<GpuDeviceNotFoundException>(() => GpuDeviceSelector.Choose(context, GpuDeviceKind.Cuda));
        Assert.Equal(GpuDeviceKind.Cuda, error.Requested);
        Assert.Contains("no usable cuda device", error.Message);
        // The CPU accelerator is always present, so the list is never empty.
        Assert.Contains(error.DevicesSeen, line => line.StartsWith("CPU", StringComparison.Ordinal));
    }

    [Fact]
    public void OpenNamesTheChosenDeviceAndDisposes()
    {
        GpuDeviceChoice? choice = null;
        using var backend = AcceleratorFixture.Serialized(() => IlgpuBackend.Open(GpuDeviceKind.IlgpuCpu, out choice));
        Assert.NotNull(backend);
        Assert.Equal(AcceleratorType.CPU, choice!.Device!.AcceleratorType);
        Assert.Same(choice, backend!.Choice);
        Assert.Contains("ilgpu cpu", backend.Description);
    }
}
