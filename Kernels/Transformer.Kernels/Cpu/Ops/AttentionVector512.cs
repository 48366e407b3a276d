using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Transformer.Kernels.Cpu.Ops;

/// <summary>
/// The two loops of <see cref="Attention.Compute"/> with 512-bit vectors, for head sizes that are a multiple
/// of 16. Half the FMAs of <see cref="AttentionVector256"/> for the scores; the weighted sum of values runs
/// the heads of a GQA group together, so the value rows they share are loaded once and two heads give eight
/// independent FMA chains where one head of 64 lanes had four (the FMA latency, not its throughput, bounded it).
/// </summary>
internal static class AttentionVector512
{
    private const int Lanes = 16;

    /// <summary>Whether this path handles head size <paramref name="d"/> on this CPU.</summary>
    public static bool Supports(int d) => Avx512F.IsSupported && Vector512.IsHardwareAccelerated && d % Lanes == 0;

    /// <summary>scores[p] = (query · keys[p]) · scale for positions [0, length).</summary>
    /// <remarks>
    /// Eight positions at a time, one 16-lane FMA chain each; each chain's halves are added lane by lane
    /// (lane j + lane j + 8) and the eight 8-lane sums reduced by <see cref="AttentionVector256.SumEight"/>.
    /// Leftover positions fold and sum in the same order, so a position's score is the same bits whatever
    /// group it fell in.
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
        for (; p + 8 <= length; p += 8)
        {
            ref float rows = ref Unsafe.Add(ref k, (nint)p * d);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (int i = 0; i < d; i += Lanes)
            {
                var qi = Vector512.LoadUnsafe(ref q, (nuint)i);
                a0 = Vector512.FusedMultiplyAdd(qi, Vector512.LoadUnsafe(ref rows, (nuint)i), a0);
                a1 = Vector512.FusedMultiplyAdd(qi, Vector512.LoadUnsafe(ref rows, (nuint)(d + i)), a1);
                a2 = Vector512.FusedMultiplyAdd(qi, Vector512.LoadUnsafe(ref rows, (nuint)(2 * d + i)), a2);
                a3 = Vector512.FusedMultiplyAdd(qi, Vector512.LoadUnsafe(ref rows, (nuint)(3 * d + i)), a3);
                a4 = Vector512.FusedMultiplyAdd(qi, Vector512.LoadUnsafe(ref rows, (nuint)(4 * d + i)), a4);
                a5 = Vector512.FusedMultiplyAdd(qi, Vector512.LoadUnsafe(ref rows, (nuint)(5 * d + i)), a5);
                a6 = Vector512.FusedMultiplyAdd(qi, Vector512.LoadUnsafe(ref rows, (nuint)(6 * d + i)), a6);
                a7 = Vector512.FusedMultiplyAdd(qi, Vector512.LoadUnsafe(ref rows, (nuint)(7 * d + i)), a7);
            }
            (AttentionVector256.SumEight(Fold(a0), Fold(a1), Fold(a2), Fold(a3), Fold(a4), Fold(a5), Fold(a6), Fold(a7)) * scaleVector)
                .StoreUnsafe(ref s, (nuint)p);
        }
        for (; p < length; p++)
        {
            ref float row = ref Unsafe.Add(ref k, (nint)p * d);
            Vector512<float> a = default;
            for (int i = 0; i < d; i += Lanes)
                a = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref q, (nuint)i), Vector512.LoadUnsafe(ref row, (nuint)i), a);
            Unsafe.Add(ref s, p) = AttentionVector256.SumOne(Fold(a)) * scale;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fold(Vector512<float> a) => a.GetLower() + a.GetUpper();

    /// <summary>
    /// outputs[h] += Σ_p weights[h · weightStride + p] · values[p] over positions [0, count) for each of
    /// <paramref name="heads"/> heads (outputs d floats each, one after another). Every output lane continues
    /// its own FMA chain in position order, as <see cref="AttentionVector256.AccumulateWeighted"/> does, so the
    /// result is the same bits at either width and however the heads are grouped.
    /// </summary>
    public static void AccumulateWeighted(ReadOnlySpan<float> weights, int weightStride, int heads, int count, ReadOnlySpan<float> values, Span<float> outputs)
    {
        int d = outputs.Length / heads;
        if (values.Length < (long)count * d || weights.Length < (long)(heads - 1) * weightStride + count)
            throw new ArgumentException($"attention over {count} positions of {d} for {heads} heads needs {count * d} values and weights {weightStride} apart, got {values.Length} values and {weights.Length} weights");
        ref float w = ref MemoryMarshal.GetReference(weights);
        ref float v = ref MemoryMarshal.GetReference(values);
        ref float o = ref MemoryMarshal.GetReference(outputs);
        int h = 0;
        for (; h + 2 <= heads; h += 2)
        {
            ref float w0 = ref Unsafe.Add(ref w, (nint)h * weightStride);
            ref float w1 = ref Unsafe.Add(ref w, (nint)(h + 1) * weightStride);
            ref float o0 = ref Unsafe.Add(ref o, (nint)h * d);
            ref float o1 = ref Unsafe.Add(ref o, (nint)(h + 1) * d);
            int i = 0;
            for (; i + 4 * Lanes <= d; i += 4 * Lanes) TwoHeads64(ref w0, ref w1, count, ref Unsafe.Add(ref v, i), d, ref Unsafe.Add(ref o0, i), ref Unsafe.Add(ref o1, i));
            for (; i < d; i += Lanes)
            {
                OneHead16(ref w0, count, ref Unsafe.Add(ref v, i), d, ref Unsafe.Add(ref o0, i));
                OneHead16(ref w1, count, ref Unsafe.Add(ref v, i), d, ref Unsafe.Add(ref o1, i));
            }
        }
        for (; h < heads; h++)
        {
            ref float wh = ref Unsafe.Add(ref w, (nint)h * weightStride);
            ref float oh = ref Unsafe.Add(ref o, (nint)h * d);
            int i = 0;
            for (; i + 4 * Lanes <= d; i += 4 * Lanes) OneHead64(ref wh, count, ref Unsafe.Add(ref v, i), d, ref Unsafe.Add(ref oh, i));
            for (; i < d; i += Lanes) OneHead16(ref wh, count, ref Unsafe.Add(ref v, i), d, ref Unsafe.Add(ref oh, i));
        }
    }

    /// <summary>64 lanes of two heads: eight FMA chains over the positions, each value vector loaded once for both.</summary>
    private static void TwoHeads64(ref float w0, ref float w1, int count, ref float v, int d, ref float o0, ref float o1)
    {
        var a0 = Vector512.LoadUnsafe(ref o0);
        var a1 = Vector512.LoadUnsafe(ref o0, Lanes);
        var a2 = Vector512.LoadUnsafe(ref o0, 2 * Lanes);
        var a3 = Vector512.LoadUnsafe(ref o0, 3 * Lanes);
        var b0 = Vector512.LoadUnsafe(ref o1);
        var b1 = Vector512.LoadUnsafe(ref o1, Lanes);
        var b2 = Vector512.LoadUnsafe(ref o1, 2 * Lanes);
        var b3 = Vector512.LoadUnsafe(ref o1, 3 * Lanes);
        for (int p = 0; p < count; p++)
        {
            ref float row = ref Unsafe.Add(ref v, (nint)p * d);
            var r0 = Vector512.LoadUnsafe(ref row);
            var r1 = Vector512.LoadUnsafe(ref row, Lanes);
            var r2 = Vector512.LoadUnsafe(ref row, 2 * Lanes);
            var r3 = Vector512.LoadUnsafe(ref row, 3 * Lanes);
            var s = Vector512.Create(Unsafe.Add(ref w0, p));
            var t = Vector512.Create(Unsafe.Add(ref w1, p));
            a0 = Vector512.FusedMultiplyAdd(s, r0, a0);
            a1 = Vector512.FusedMultiplyAdd(s, r1, a1);
            a2 = Vector512.FusedMultiplyAdd(s, r2, a2);
            a3 = Vector512.FusedMultiplyAdd(s, r3, a3);
            b0 = Vector512.FusedMultiplyAdd(t, r0, b0);
            b1 = Vector512.FusedMultiplyAdd(t, r1, b1);
            b2 = Vector512.FusedMultiplyAdd(t, r2, b2);
            b3 = Vector512.FusedMultiplyAdd(t, r3, b3);
        }
        a0.StoreUnsafe(ref o0);
        a1.StoreUnsafe(ref o0, Lanes);
        a2.StoreUnsafe(ref o0, 2 * Lanes);
        a3.StoreUnsafe(ref o0, 3 * Lanes);
        b0.StoreUnsafe(ref o1);
        b1.StoreUnsafe(ref o1, Lanes);
        b2.StoreUnsafe(ref o1, 2 * Lanes);
        b3.StoreUnsafe(ref o1, 3 * Lanes);
    }

    /// <summary>64 lanes of one head: four FMA chains.</summary>
    private static void OneHead64(ref float w, int count, ref float v, int d, ref float o)
    {
        var a0 = Vector512.LoadUnsafe(ref o);
        var a1 = Vector512.LoadUnsafe(ref o, Lanes);
        var a2 = Vector512.LoadUnsafe(ref o, 2 * Lanes);
        var a3 = Vector512.LoadUnsafe(ref o, 3 * Lanes);
        for (int p = 0; p < count; p++)
        {
            ref float row = ref Unsafe.Add(ref v, (nint)p * d);
            var s = Vector512.Create(Unsafe.Add(ref w, p));
            a0 = Vector512.FusedMultiplyAdd(s, Vector512.LoadUnsafe(ref row), a0);
            a1 = Vector512.FusedMultiplyAdd(s, Vector512.LoadUnsafe(ref row, Lanes), a1);
            a2 = Vector512.FusedMultiplyAdd(s, Vector512.LoadUnsafe(ref row, 2 * Lanes), a2);
            a3 = Vector512.FusedMultiplyAdd(s, Vector512.LoadUnsafe(ref row, 3 * Lanes), a3);
        }
        a0.StoreUnsafe(ref o);
        a1.StoreUnsafe(ref o, Lanes);
        a2.StoreUnsafe(ref o, 2 * Lanes);
        a3.StoreUnsafe(ref o, 3 * Lanes);
    }

    /// <summary>16 lanes of one head.</summary>
    private static void OneHead16(ref float w, int count, ref float v, int d, ref float o)
    {
        var a = Vector512.LoadUnsafe(ref o);
        for (int p = 0; p < count; p++)
            a = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, p)), Vector512.LoadUnsafe(ref v, (nuint)((nint)p * d)), a);
        a.StoreUnsafe(ref o);
    }
}
