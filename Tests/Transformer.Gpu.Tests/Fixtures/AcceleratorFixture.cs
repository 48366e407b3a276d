using ILGPU;
using ILGPU.Runtime;
using Transformer.Kernels.Gpu;

namespace Transformer.Gpu.Tests.Fixtures;

/// <summary>
/// One ILGPU context, accelerator and backend shared by a whole test collection: creating an
/// accelerator and compiling kernels costs far more than any single test.
/// </summary>
public abstract class AcceleratorFixture : IDisposable
{
    // Collections start in parallel; ILGPU's device enumeration (OpenCL platform queries in particular)
    // is not safe to run from two threads at once, so contexts are created one at a time.
    private static readonly Lock CreationGate = new();
    private Context? _context;
    private Accelerator? _accelerator;

    /// <summary>Runs something that creates an ILGPU context under the same gate as the fixtures.</summary>
    public static T Serialized<T>(Func<T> create)
    {
        lock (CreationGate) return create();
    }

    /// <summary>The backend for kernel tests, or null when this machine lacks the device (see <see cref="SkipReason"/>).</summary>
    public IlgpuBackend? Backend { get; private set; }

    /// <summary>A backend with the accelerator's default launch sizes, for model tests.</summary>
    public IlgpuBackend? ModelBackend { get; private set; }

    /// <summary>Why the tests of this collection skip, when they do.</summary>
    public string SkipReason { get; private set; } = "";

    /// <summary>Short name used in messages, e.g. <c>ilgpu-cpu</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Opens the device, or records why it cannot be opened.</summary>
    /// <param name="open">Creates the context and accelerator, or says why not.</param>
    /// <param name="kernelTestSizes">Launch sizes for the kernel tests; null for the accelerator's defaults.</param>
    protected void Open(Func<(Context Context, Accelerator? Accelerator, string SkipReason)> open, IlgpuLaunchSizes? kernelTestSizes = null)
    {
        lock (CreationGate)
        {
            var (context, accelerator, skipReason) = open();
            _context = context;
            _accelerator = accelerator;
            SkipReason = skipReason;
            if (accelerator is not null)
            {
                Backend = new IlgpuBackend(accelerator, kernelTestSizes);
                ModelBackend = new IlgpuBackend(accelerator);
            }
        }
    }

    /// <summary>The kernel-test backend, or skips the calling test with the reason.</summary>
    public IlgpuBackend Require()
    {
        Assert.SkipWhen(Backend is null, SkipReason);
        return Backend!;
    }

    /// <summary>The model-test backend, or skips the calling test with the reason.</summary>
    public IlgpuBackend RequireModelBackend()
    {
        Assert.SkipWhen(ModelBackend is null, SkipReason);
        return ModelBackend!;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Backend?.Dispose();
        ModelBackend?.Dispose();
        _accelerator?.Dispose();
        _context?.Dispose();
        GC.SuppressFinalize(this);
    }
}
