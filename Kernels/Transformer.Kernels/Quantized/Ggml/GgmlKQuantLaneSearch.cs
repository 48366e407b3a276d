using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Transformer.Kernels.Quantized.Ggml;

/// <summary>
/// The scale searches of <see cref="GgmlKQuantSearch"/> (its scalar reference) with their candidate scales in the lanes
/// of Vector256s: lane k runs candidate k's sums with the reference's float operations in its order (one IEEE
/// multiply or add per lane, no fused multiply-adds), so each lane's sums are the reference's bits. The candidates
/// are then judged one by one in the reference's order. What is gained: the reference's sums are chains of dependent
/// adds, one candidate after another; here eight chains advance together. Falls back to the reference where
/// Vector256 is not hardware-accelerated.
/// </summary>
public static class GgmlKQuantLaneSearch
{
    private const int Lanes = 8;

    /// <summary>
    /// <see cref="GgmlKQuantSearch.MakeQkx2"/>, the same codes, scale and minimum. A candidate that wins moves the
    /// minimum the later candidates are rounded against (as in ggml), so the lanes are speculative: after a win the
    /// batch is recomputed from the next candidate on with the new minimum.
    /// </summary>
    public static float MakeQkx2(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, int nmax, Span<byte> codes, Span<byte> scratch,
        float rmin, float rdelta, int nstep, bool useMad, out float theMin)
    {
        if (!Vector256.IsHardwareAccelerated)
            return GgmlKQuantSearch.MakeQkx2(x, weights, nmax, codes, scratch, rmin, rdelta, nstep, useMad, out theMin);
        int n = x.Length;
        if (weights.Length < n || codes.Length < n)
            throw new ArgumentException($"{n} values need as many weights and codes, got {weights.Length} and {codes.Length}");
        float min = x[0], max = x[0];
        float sumW = weights[0];
        float sumX = sumW * x[0];
        for (int i = 1; i < n; i++)
        {
            if (x[i] < min) min = x[i];
            if (x[i] > max) max = x[i];
            float w = weights[i];
            sumW += w;
            sumX += w * x[i];
        }
        if (min > 0) min = 0;
        if (max == min)
        {
            codes[..n].Clear();
            theMin = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++)
        {
            int l = GgmlKQuantSearch.NearestInt(iscale * (x[i] - min));
            codes[i] = (byte)Math.Max(0, Math.Min(nmax, l));
            float diff = scale * codes[i] + min - x[i];
            diff = useMad ? MathF.Abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        if (nstep < 1)
        {
            theMin = -min;
            return scale;
        }

        Span<Vector256<int>> laneCodes = stackalloc Vector256<int>[n];
        var low = Vector256<int>.Zero;
        var high = Vector256.Create(nmax);
        var steps = Vector256.Create(0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f);
        int step = 0;
        while (step <= nstep)
        {
            // Lane k is candidate step + k: iscale = (rmin + rdelta·step + nmax) / (max − min), as the reference rounds it.
            var laneIscale = (Vector256.Create(rmin) + Vector256.Create(rdelta) * (steps + Vector256.Create((float)step))
                + Vector256.Create((float)nmax)) / Vector256.Create(max - min);
            Vector256<float> sumL = Vector256<float>.Zero, sumL2 = Vector256<float>.Zero, sumXL = Vector256<float>.Zero;
            for (int i = 0; i < n; i++)
            {
                var l = Vector256.Min(high, Vector256.Max(low, NearestInt(laneIscale * Vector256.Create(x[i] - min))));
                laneCodes[i] = l;
                var wl = Vector256.Create(weights[i]) * Vector256.ConvertToSingle(l);
                sumL += wl;
                sumL2 += wl * Vector256.ConvertToSingle(l);
                sumXL += wl * Vector256.Create(x[i]);
            }
            var determinant = Vector256.Create(sumW) * sumL2 - sumL * sumL;
            var thisScale = (Vector256.Create(sumW) * sumXL - Vector256.Create(sumX) * sumL) / determinant;
            var thisMin = (sumL2 * Vector256.Create(sumX) - sumL * sumXL) / determinant;
            // A positive minimum is dropped and the scale refit without it (the reference's thisMin > 0 branch).
            var positive = Vector256.GreaterThan(thisMin, Vector256<float>.Zero);
            thisScale = Vector256.ConditionalSelect(positive, sumXL / sumL2, thisScale);
            thisMin = Vector256.ConditionalSelect(positive, Vector256<float>.Zero, thisMin);
            var error = Vector256<float>.Zero;
            for (int i = 0; i < n; i++)
            {
                var diff = thisScale * Vector256.ConvertToSingle(laneCodes[i]) + thisMin - Vector256.Create(x[i]);
                diff = useMad ? Vector256.Abs(diff) : diff * diff;
                error += Vector256.Create(weights[i]) * diff;
            }

            int next = step + Lanes;
            for (int k = 0; k < Lanes && step + k <= nstep; k++)
            {
                if (determinant[k] > 0 && error[k] < bestError)
                {
                    for (int i = 0; i < n; i++) codes[i] = (byte)laneCodes[i][k];
                    bestError = error[k];
                    scale = thisScale[k];
                    min = thisMin[k];
                    next = step + k + 1; // the later lanes were rounded against the old minimum
                    break;
                }
            }
            step = next;
        }
        theMin = -min;
        return scale;
    }

    /// <summary>
    /// <see cref="GgmlKQuantSearch.MakeQx"/>, the same codes and scale. Its 18 candidates do not depend on one another
    /// (only the judging does), so they fill three vectors at once.
    /// </summary>
    public static float MakeQx(ReadOnlySpan<float> x, int nmax, Span<sbyte> codes)
    {
        if (!Vector256.IsHardwareAccelerated) return GgmlKQuantSearch.MakeQx(x, nmax, codes);
        int n = x.Length;
        if (codes.Length < n) throw new ArgumentException($"{n} values need as many codes, got {codes.Length}", nameof(codes));
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++)
        {
            float ax = MathF.Abs(x[i]);
            if (ax > amax) { amax = ax; max = x[i]; }
        }
        if (amax < GgmlKQuantSearch.GroupMaxEps)
        {
            codes[..n].Clear();
            return 0f;
        }
        float iscale = -nmax / max;
        float sumLX = 0, sumL2 = 0;
        for (int i = 0; i < n; i++)
        {
            int l = Math.Max(-nmax, Math.Min(nmax - 1, GgmlKQuantSearch.NearestInt(iscale * x[i])));
            codes[i] = (sbyte)(l + nmax);
            float w = x[i] * x[i];
            sumLX += w * x[i] * l;
            sumL2 += w * l * l;
        }
        float scale = sumL2 != 0 ? sumLX / sumL2 : 0f;
        float best = scale * sumLX;

        // Candidates −9..−1, 1..9 in order, in lanes 0..17 (the last six lanes repeat step 9 and are not judged).
        var low = Vector256.Create(-nmax);
        var high = Vector256.Create(nmax - 1);
        var iscale0 = QxIscale(Vector256.Create(-9f, -8f, -7f, -6f, -5f, -4f, -3f, -2f), nmax, max);
        var iscale1 = QxIscale(Vector256.Create(-1f, 1f, 2f, 3f, 4f, 5f, 6f, 7f), nmax, max);
        var iscale2 = QxIscale(Vector256.Create(8f, 9f, 9f, 9f, 9f, 9f, 9f, 9f), nmax, max);
        Vector256<float> lx0 = default, lx1 = default, lx2 = default, l20 = default, l21 = default, l22 = default;
        for (int i = 0; i < n; i++)
        {
            var xi = Vector256.Create(x[i]);
            float w = x[i] * x[i];
            var wx = Vector256.Create(w * x[i]);
            var wv = Vector256.Create(w);
            Accumulate(iscale0, xi, wx, wv, low, high, ref lx0, ref l20);
            Accumulate(iscale1, xi, wx, wv, low, high, ref lx1, ref l21);
            Accumulate(iscale2, xi, wx, wv, low, high, ref lx2, ref l22);
        }

        int winner = 0;
        for (int c = 0; c < 18; c++)
        {
            float lx = c < Lanes ? lx0[c] : c < 2 * Lanes ? lx1[c - Lanes] : lx2[c - 2 * Lanes];
            float l2 = c < Lanes ? l20[c] : c < 2 * Lanes ? l21[c - Lanes] : l22[c - 2 * Lanes];
            if (l2 > 0 && lx * lx > best * l2)
            {
                scale = lx / l2;
                best = scale * lx;
                winner = c < 9 ? c - 9 : c - 8;
            }
        }
        if (winner != 0)
        {
            // Only the last winner's codes survive in the reference, which rewrites them at every win.
            iscale = -(nmax + 0.1f * winner) / max;
            for (int i = 0; i < n; i++)
                codes[i] = (sbyte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, GgmlKQuantSearch.NearestInt(iscale * x[i]))));
        }
        return scale;
    }

    /// <summary>The reference's <c>-(nmax + 0.1f·step) / max</c> for the steps in each lane.</summary>
    private static Vector256<float> QxIscale(Vector256<float> steps, int nmax, float max) =>
        -(Vector256.Create((float)nmax) + Vector256.Create(0.1f) * steps) / Vector256.Create(max);

    /// <summary>One value's terms of the reference's sums, lane by lane: sumLX += (w·x)·l, sumL2 += (w·l)·l.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(Vector256<float> iscale, Vector256<float> x, Vector256<float> wx, Vector256<float> w,
        Vector256<int> low, Vector256<int> high, ref Vector256<float> sumLX, ref Vector256<float> sumL2)
    {
        var l = Vector256.ConvertToSingle(Vector256.Max(low, Vector256.Min(high, NearestInt(iscale * x))));
        sumLX += wx * l;
        sumL2 += w * l * l;
    }

    /// <summary><see cref="GgmlKQuantSearch.NearestInt"/> lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> NearestInt(Vector256<float> value) =>
        (Vector256.AsInt32(value + Vector256.Create(12582912f)) & Vector256.Create(0x007FFFFF)) - Vector256.Create(0x00400000);
}
