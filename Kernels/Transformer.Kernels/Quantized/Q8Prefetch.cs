using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// Software prefetch for the GEMV's weight stream. One decode step reads every weight once from
/// DRAM, and a core's hardware prefetchers alone kept too few lines in flight (measured ≈ 18 GB/s
/// on one core); asking for the next tile's rows while this tile computes hides the latency.
/// A hint only: it never faults, so running past the end of the weights is harmless.
/// </summary>
internal static class Q8Prefetch
{
    /// <summary>Asks for the cache line holding <paramref name="at"/> (no-op where the ISA has no prefetch intrinsic).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Line(ref sbyte at)
    {
        if (Sse.IsSupported) Sse.Prefetch0(Unsafe.AsPointer(ref at));
    }
}
