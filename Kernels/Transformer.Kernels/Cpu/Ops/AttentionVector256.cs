using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
    public static bool Supports(int d) => Vector256.IsHardwareAccelerated && d % Lanes == 0;

    /// <summary>scores[p] = (query · keys[p]) · scale for positions [0, length).</summary>
    public static void Scores(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, int length, float scale, Span<float> scores)
    {
        int d = query.Length;
        if (keys.Length < (long)length * d || scores.Length < length)
            throw new ArgumentException($"attention over {length} positions of {d} needs {length * d} keys and {length} scores, got {keys.Length} and {scores.Length}");
        ref float q = ref MemoryMarshal.GetReference(query);
        ref float k = ref MemoryMarshal.GetReference(keys);
        for (int p = 0; p < length; p++)
        {
            ref float row = ref Unsafe.Add(ref k, (nint)p * d);
            // Two chains hide the FMA latency for d ≥ 16.
            Vector256<float> a0 = Vector256<float>.Zero, a1 = Vector256<float>.Zero;
            int i = 0;
            for (; i + 2 * Lanes <= d; i += 2 * Lanes)
            {
                a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref q, (nuint)i), Vector256.LoadUnsafe(ref row, (nuint)i), a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref q, (nuint)(i + Lanes)), Vector256.LoadUnsafe(ref row, (nuint)(i + Lanes)), a1);
            }
            if (i < d) a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref q, (nuint)i), Vector256.LoadUnsafe(ref row, (nuint)i), a0);
            scores[p] = Vector256.Sum(a0 + a1) * scale;
        }
    }

    /// <summary>output = Σ_p weights[p] · values[p] over positions [0, weights.Length).</summary>
    public static void WeightedSum(ReadOnlySpan<float> weights, ReadOnlySpan<float> values, Span<float> output)
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
            Vector256<float> a0 = Vector256<float>.Zero, a1 = Vector256<float>.Zero, a2 = Vector256<float>.Zero, a3 = Vector256<float>.Zero;
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
            Vector256<float> a = Vector256<float>.Zero;
            for (int p = 0; p < length; p++)
                a = Vector256.FusedMultiplyAdd(Vector256.Create(weights[p]), Vector256.LoadUnsafe(ref v, (nuint)((nint)p * d + i)), a);
            a.StoreUnsafe(ref o, (nuint)i);
        }
    }
}
