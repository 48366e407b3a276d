using ILGPU.Runtime;

namespace Transformer.Kernels.Gpu;

/// <summary>
/// Group and tile sizes for one accelerator, fixed when the backend starts and passed to the kernels
/// as JIT-time constants (SpecializedValue), so shared arrays get static sizes and loops known bounds.
/// </summary>
/// <param name="ReductionThreads">Threads per group for row reductions (RMSNorm, GEMV, argmax, decode attention); a power of two.</param>
/// <param name="GemmTile">Side of the square GEMM tile; the GEMM group has GemmTile² threads.</param>
/// <param name="AttentionThreads">Threads per group of the prefill attention kernel.</param>
public sealed record IlgpuLaunchSizes(int ReductionThreads, int GemmTile, int AttentionThreads)
{
    /// <summary>
    /// Sizes suited to an accelerator. ILGPU's CPU accelerator runs every thread of a group as a real
    /// thread meeting at each barrier, so small groups are much faster there; GPUs want wide groups.
    /// </summary>
    public static IlgpuLaunchSizes For(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        bool emulated = accelerator.AcceleratorType == AcceleratorType.CPU;
        int limit = accelerator.MaxNumThreadsPerGroup;
        int reduction = LargestPowerOfTwoAtMost(Math.Min(emulated ? 32 : 256, limit));
        int tile = emulated ? 8 : 16;
        while (tile > 1 && tile * tile > limit) tile /= 2;
        int attention = LargestPowerOfTwoAtMost(Math.Min(emulated ? 32 : 128, limit));
        return new IlgpuLaunchSizes(reduction, tile, attention);
    }

    private static int LargestPowerOfTwoAtMost(int value)
    {
        int power = 1;
        while (power * 2 <= value) power *= 2;
        return power;
    }
}
