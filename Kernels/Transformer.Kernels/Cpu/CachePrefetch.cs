using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Transformer.Kernels.Cpu;

/// <summary>
/// Software prefetch for the streams the hardware prefetchers serve badly: the GEMV/GEMM weight stream
/// (one decode step reads every weight once from DRAM, and a core's prefetchers alone kept too few lines in
/// flight, ≈ 18 GB/s on one core) and paged KV blocks (each block is its own short run, often a page of
/// its own, and hardware prefetchers stop at page boundaries). A hint only: it never faults, so running
/// past the end of a buffer is harmless.
/// </summary>
internal static class CachePrefetch
{
    private const int LineBytes = 64;

    /// <summary>Asks for the cache line holding <paramref name="at"/> (no-op where the ISA has no prefetch intrinsic).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Line<T>(ref T at)
    {
        if (Sse.IsSupported) Sse.Prefetch0(Unsafe.AsPointer(ref at));
    }

    /// <summary>Asks for every cache line of <paramref name="region"/>.</summary>
    public static void Region<T>(ReadOnlySpan<T> region)
    {
        if (!Sse.IsSupported || region.IsEmpty) return;
        ref byte start = ref Unsafe.As<T, byte>(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(region));
        int bytes = region.Length * Unsafe.SizeOf<T>();
        for (int offset = 0; offset < bytes; offset += LineBytes) Line(ref Unsafe.Add(ref start, offset));
    }
}
