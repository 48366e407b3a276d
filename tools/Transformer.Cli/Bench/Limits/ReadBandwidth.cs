using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Transformer.Cli.Bench.Limits;

/// <summary>
/// Read bandwidth from memory as decode sees it: a buffer well beyond the last-level cache, summed front to back with
/// the widest vectors the JIT has (as the GEMV streams its weights), split across threads as the worker pool splits a
/// matrix's rows. The sum is returned so the reads cannot be dropped.
/// </summary>
internal static class ReadBandwidth
{
    /// <summary>Bytes read per pass (beyond any current CPU's last-level cache slice for a few cores).</summary>
    public const long BufferBytes = 256L << 20;

    /// <summary>Sums <paramref name="values"/> with four independent vector accumulators.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static long Sum(ReadOnlySpan<long> values)
    {
        if (Vector512.IsHardwareAccelerated) return Sum512(values);
        if (Vector256.IsHardwareAccelerated) return Sum256(values);
        return Sum128(values);
    }

    private static long Sum512(ReadOnlySpan<long> values)
    {
        var v = MemoryMarshal.Cast<long, Vector512<long>>(values);
        Vector512<long> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = 0;
        for (; i + 4 <= v.Length; i += 4) { a0 += v[i]; a1 += v[i + 1]; a2 += v[i + 2]; a3 += v[i + 3]; }
        for (; i < v.Length; i++) a0 += v[i];
        return Vector512.Sum(a0 + a1 + a2 + a3);
    }

    private static long Sum256(ReadOnlySpan<long> values)
    {
        var v = MemoryMarshal.Cast<long, Vector256<long>>(values);
        Vector256<long> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = 0;
        for (; i + 4 <= v.Length; i += 4) { a0 += v[i]; a1 += v[i + 1]; a2 += v[i + 2]; a3 += v[i + 3]; }
        for (; i < v.Length; i++) a0 += v[i];
        return Vector256.Sum(a0 + a1 + a2 + a3);
    }

    private static long Sum128(ReadOnlySpan<long> values)
    {
        var v = MemoryMarshal.Cast<long, Vector128<long>>(values);
        Vector128<long> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = 0;
        for (; i + 4 <= v.Length; i += 4) { a0 += v[i]; a1 += v[i + 1]; a2 += v[i + 2]; a3 += v[i + 3]; }
        for (; i < v.Length; i++) a0 += v[i];
        return Vector128.Sum(a0 + a1 + a2 + a3);
    }

    /// <summary>The vector width the sum uses, for the table.</summary>
    public static string Width => Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" : "Vector128";

    /// <summary>A touched buffer of <see cref="BufferBytes"/> (every page faulted in before timing).</summary>
    public static long[] Allocate()
    {
        var buffer = GC.AllocateUninitializedArray<long>((int)(BufferBytes / sizeof(long)), pinned: true);
        for (int i = 0; i < buffer.Length; i++) buffer[i] = i;
        _ = Vector<long>.Count;
        return buffer;
    }
}
