using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// The two loops of <see cref="Attention.Compute"/> over cached positions, with 256-bit vectors,
/// for head sizes that are a multiple of 8 (every real model's). Decode attends one query over
/// hundreds of short rows, so per-row call overhead, not arithmetic, was the cost.
/// </summary>
internal static class AttentionVector256
{
    private const int Lanes = 8;

    /// <summary>Whether this path handles head size <paramref name="d"/> on this CPU.</summary>
    public static bool Supports(int d) => Avx2.IsSupported && Fma.IsSupported && d % Lanes == 0;

    /// <summary>scores[p] = (query · keys[p]) · scale for positions [0, length).</summary>
    /// <remarks>
    /// Eight positions at a time: eight lane-wise FMA chains, then one transpose-and-add network
    /// (<see cref="SumEight"/>) that turns the eight accumulators into one vector of eight scores.
    /// A horizontal sum per position cost as much as the position's FMAs. Leftover positions take
    /// <see cref="SumOne"/>, which adds in the same order, so a position's score is the same bits
    /// whatever group it fell in (prefill and decode agree).
    /// </remarks>
    public static void Scores(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, int length, float scale, Span<float> scores)
    {
        int d = query.Length;
        if (keys.Length < (long)length * d || scores.Length < length)
            throw new ArgumentException($"attention over {length} positions of {d} needs {length * d} keys and {length} scores, got {keys.Length} and {scores.Length}");
        ref float q = ref MemoryMarshal.GetReference(query);
        ref float k = ref MemoryMarshal.GetReference(keys);
        ref float s = ref MemoryMarshal.GetReference(scores);
        var scaleVector = Vector256.Create(scale);
        int p = 0;
        for (; p + Lanes <= length; p += Lanes)
        {
            ref float rows = ref Unsafe.Add(ref k, (nint)p * d);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (int i = 0; i < d; i += Lanes)
            {
                var qi = Vector256.LoadUnsafe(ref q, (nuint)i);
                a0 = Vector256.FusedMultiplyAdd(qi, Vector256.LoadUnsafe(ref rows, (nuint)i), a0);
                a1 = Vector256.FusedMultiplyAdd(qi, Vector256.LoadUnsafe(ref rows, (nuint)(d + i)), a1);
                a2 = Vector256.FusedMultiplyAdd(qi, Vector256.LoadUnsafe(ref rows, (nuint)(2 * d + i)), a2);
                a3 = Vector256.FusedMultiplyAdd(qi, Vector256.LoadUnsafe(ref rows, (nuint)(3 * d + i)), a3);
                a4 = Vector256.FusedMultiplyAdd(qi, Vector256.LoadUnsafe(ref rows, (nuint)(4 * d + i)), a4);
                a5 = Vector256.FusedMultiplyAdd(qi, Vector256.LoadUnsafe(ref rows, (nuint)(5 * d + i)), a5);
                a6 = Vector256.FusedMultiplyAdd(qi, Vector256.LoadUnsafe(ref rows, (nuint)(6 * d + i)), a6);
                a7 = Vector256.FusedMultiplyAdd(qi, Vector256.LoadUnsafe(ref rows, (nuint)(7 * d + i)), a7);
            }
            (SumEight(a0, a1, a2, a3, a4, a5, a6, a7) * scaleVector).StoreUnsafe(ref s, (nuint)p);
        }
        for (; p < length; p++)
        {
            ref float row = ref Unsafe.Add(ref k, (nint)p * d);
            Vector256<float> a = default;
            for (int i = 0; i < d; i += Lanes)
                a = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref q, (nuint)i), Vector256.LoadUnsafe(ref row, (nuint)i), a);
            Unsafe.Add(ref s, p) = SumOne(a) * scale;
        }
    }

    /// <summary>
    /// The lane sums of eight vectors as one vector, each ((l0+l1)+(l2+l3)) + ((l4+l5)+(l6+l7)):
    /// pairwise adds within 128-bit halves, then the halves added across.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> SumEight(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3,
        Vector256<float> a4, Vector256<float> a5, Vector256<float> a6, Vector256<float> a7)
    {
        // [a0 01, a0 23, a1 01, a1 23 | a0 45, a0 67, a1 45, a1 67] and so on.
        var g0 = Avx.HorizontalAdd(Avx.HorizontalAdd(a0, a1), Avx.HorizontalAdd(a2, a3)); // [a0..a3 0123 | a0..a3 4567]
        var g1 = Avx.HorizontalAdd(Avx.HorizontalAdd(a4, a5), Avx.HorizontalAdd(a6, a7)); // [a4..a7 0123 | a4..a7 4567]
        return Avx.Permute2x128(g0, g1, 0x20) + Avx.Permute2x128(g0, g1, 0x31);
    }

    /// <summary>The lane sum of one vector in <see cref="SumEight"/>'s order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float SumOne(Vector256<float> a)
    {
        float low = (a.GetElement(0) + a.GetElement(1)) + (a.GetElement(2) + a.GetElement(3));
        float high = (a.GetElement(4) + a.GetElement(5)) + (a.GetElement(6) + a.GetElement(7));
        return low + high;
    }

    /// <summary>
    /// output += Σ_p weights[p] · values[p] over positions [0, weights.Length): each output lane continues its
    /// FMA chain from the value already there, so a sum over several blocks of positions, one call per
    /// block, gives the same bits as one call over all of them.
    /// </summary>
    public static void AccumulateWeighted(ReadOnlySpan<float> weights, ReadOnlySpan<float> values, Span<float> output)
    {
        int d = output.Length, length = weights.Length;
        if (values.Length < (long)length * d)
            throw new ArgumentException($"attention over {length} positions of {d} needs {length * d} values, got {values.Length}");
        ref float v = ref MemoryMarshal.GetReference(values);
        ref float o = ref MemoryMarshal.GetReference(output);
        int i = 0;
        // 32 output lanes per pass over the positions: four independent FMA chains held in registers.
        for (; i + 4 * Lanes <= d; i += 4 * Lanes)
        {
            var a0 = Vector256.LoadUnsafe(ref o, (nuint)i);
            var a1 = Vector256.LoadUnsafe(ref o, (nuint)(i + Lanes));
            var a2 = Vector256.LoadUnsafe(ref o, (nuint)(i + 2 * Lanes));
            var a3 = Vector256.LoadUnsafe(ref o, (nuint)(i + 3 * Lanes));
            for (int p = 0; p < length; p++)
            {
                var s = Vector256.Create(weights[p]);
                ref float row = ref Unsafe.Add(ref v, (nint)p * d + i);
                a0 = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref row), a0);
                a1 = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref row, Lanes), a1);
                a2 = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref row, 2 * Lanes), a2);
                a3 = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref row, 3 * Lanes), a3);
            }
            a0.StoreUnsafe(ref o, (nuint)i);
            a1.StoreUnsafe(ref o, (nuint)(i + Lanes));
            a2.StoreUnsafe(ref o, (nuint)(i + 2 * Lanes));
            a3.StoreUnsafe(ref o, (nuint)(i + 3 * Lanes));
        }
        for (; i < d; i += Lanes)
        {
            var a = Vector256.LoadUnsafe(ref o, (nuint)i);
            for (int p = 0; p < length; p++)
                a = Vector256.FusedMultiplyAdd(Vector256.Create(weights[p]), Vector256.LoadUnsafe(ref v, (nuint)((nint)p * d + i)), a);
            a.StoreUnsafe(ref o, (nuint)i);
        }
    }
}
