using ILGPU.Runtime;

namespace Transformer.Kernels.Gpu;

/// <summary>
/// Group sizes for one accelerator, fixed when the backend starts and passed to the kernels as JIT-time
/// constants (SpecializedValue), so shared arrays get static sizes and loops known bounds. They fix the
/// order of every reduction, so one backend gives the same bits for a row whatever else is in its step;
/// two backends with different sizes may differ in the last bits.
/// </summary>
/// <param name="ReductionThreads">Threads per group of the reducing kernels (matmul, RMSNorm, attention, argmax); a power of two.</param>
public sealed record IlgpuLaunchSizes(int ReductionThreads)
{
    /// <summary>
    /// Sizes suited to an accelerator. ILGPU's CPU accelerator runs every thread of a group as an OS
    /// thread and makes them meet at each barrier, which costs far more than the arithmetic (measured: a
    /// 512×64 GEMV took 790 ms with 32-thread groups, 2.4 ms with one-thread groups), so there each group
    /// is one thread and the kernels' loops do the work serially. GPUs and OpenCL get wide groups.
    /// </summary>
    public static IlgpuLaunchSizes For(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (accelerator.AcceleratorType == AcceleratorType.CPU) return new IlgpuLaunchSizes(1);
        return new IlgpuLaunchSizes(LargestPowerOfTwoAtMost(Math.Min(256, accelerator.MaxNumThreadsPerGroup)));
    }

    /// <summary>Throws unless the reduction group is a power of two that fits the accelerator.</summary>
    public void Validate(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        int limit = accelerator.MaxNumThreadsPerGroup;
        if (ReductionThreads < 1 || (ReductionThreads & (ReductionThreads - 1)) != 0 || ReductionThreads > limit)
            throw new ArgumentOutOfRangeException(nameof(ReductionThreads), $"{ReductionThreads} must be a power of two up to the accelerator's {limit} threads per group");
    }

    private static int LargestPowerOfTwoAtMost(int value)
    {
        int power = 1;
        while (power * 2 <= value) power *= 2;
        return power;
    }
}
