using ILGPU.Runtime;

namespace Transformer.Kernels.Gpu;

/// <summary>
/// Group and tile sizes for one accelerator, fixed when the backend starts and passed to the kernels
/// as JIT-time constants (SpecializedValue), so shared arrays get static sizes and loops known bounds.
/// </summary>
/// <param name="ReductionThreads">Threads per group for row reductions (RMSNorm, GEMV, argmax, attention); a power of two.</param>
/// <param name="GemmTile">Side of the square GEMM tile; the GEMM group has GemmTile² threads.</param>
public sealed record IlgpuLaunchSizes(int ReductionThreads, int GemmTile)
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
        if (accelerator.AcceleratorType == AcceleratorType.CPU) return new IlgpuLaunchSizes(1, 1);
        int limit = accelerator.MaxNumThreadsPerGroup;
        int tile = 16;
        while (tile > 1 && tile * tile > limit) tile /= 2;
        return new IlgpuLaunchSizes(LargestPowerOfTwoAtMost(Math.Min(256, limit)), tile);
    }

    /// <summary>Throws unless the sizes are positive, the reduction group a power of two, and every group fits the accelerator.</summary>
    public void Validate(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        int limit = accelerator.MaxNumThreadsPerGroup;
        if (ReductionThreads < 1 || (ReductionThreads & (ReductionThreads - 1)) != 0 || ReductionThreads > limit)
            throw new ArgumentOutOfRangeException(nameof(ReductionThreads), $"{ReductionThreads} must be a power of two up to the accelerator's {limit} threads per group");
        if (GemmTile < 1 || GemmTile * GemmTile > limit)
            throw new ArgumentOutOfRangeException(nameof(GemmTile), $"a GEMM tile of {GemmTile}² threads does not fit the accelerator's {limit} threads per group");
    }

    private static int LargestPowerOfTwoAtMost(int value)
    {
        int power = 1;
        while (power * 2 <= value) power *= 2;
        return power;
    }
}
