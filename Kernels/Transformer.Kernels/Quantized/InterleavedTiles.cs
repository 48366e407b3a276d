using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Transformer.Kernels.Cpu.Isa;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// What the 8-row interleaved kernels (<see cref="Q8InterleavedWeight"/>, <see cref="Q4KInterleavedWeight"/>,
/// <see cref="Q6KInterleavedWeight"/>) share: a token's activations meet the weights 4 values (one int32 lane's
/// worth of bytes) at a time, and a tile's 8 lanes are the group's 8 rows.
/// </summary>
internal static class InterleavedTiles
{
    /// <summary>Rows per group: one per int32 lane of a 256-bit vector.</summary>
    public const int Rows = 8;

    /// <summary>Values of one row in one chunk: the bytes a lane's dot step sums.</summary>
    public const int ChunkValues = 4;

    /// <summary>
    /// Whether a tile on <paramref name="isa"/> steps with 256-bit vpdpbusd: the AVX-VNNI path, and the AVX-512 path on
    /// CPUs that also have AVX-VNNI (.NET exposes no 512-bit vpdpbusd). The AVX2 path always runs what an AVX2-only CPU
    /// runs, which is how a CPU with AVX-VNNI tests both steps.
    /// </summary>
    public static bool UsesVpdpbusd(CpuIsa isa) =>
        isa == CpuIsa.AvxVnni || (isa == CpuIsa.Avx512 && CpuIsaSupport.IsSupported(CpuIsa.AvxVnni));

    /// <summary>Chunk c (values 4c..4c+3) of one token's block as a 4-byte broadcast.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Chunk(ref sbyte block, int c) =>
        Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref block, c * ChunkValues)))).AsSByte();

    /// <summary>
    /// Rows [first, end) of group g's 8 results into token row <paramref name="at"/> of y: one store for a whole group,
    /// lane by lane for the rows of a partial one (the last group's padding, or a row range cutting a group).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> lanes, ref float y, nint at, int g, int first, int end, bool whole)
    {
        ref float dst = ref Unsafe.Add(ref y, at + g * Rows);
        if (whole)
        {
            lanes.StoreUnsafe(ref dst);
            return;
        }
        for (int o = first; o < end; o++) Unsafe.Add(ref y, at + o) = lanes.GetElement(o - g * Rows);
    }
}
