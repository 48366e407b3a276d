namespace Transformer.Kernels.Quantized.Ggml;

/// <summary>
/// The scale searches of llama.cpp's K-quant reference quantizers, with the same float operations in the same order
/// (no fused multiply-adds), so the codes and scales they choose are the same bits.
/// </summary>
public static class GgmlKQuantSearch
{
    /// <summary>Below this a group's largest magnitude counts as zero (ggml's <c>GROUP_MAX_EPS</c>).</summary>
    public const float GroupMaxEps = 1e-15f;

    /// <summary>
    /// ggml's <c>nearest_int</c>: adding 1.5·2²³ leaves the rounded integer (ties to even) in the low mantissa bits.
    /// Valid for |value| ≤ 2²².
    /// </summary>
    public static int NearestInt(float value)
    {
        float shifted = value + 12582912f;
        return (BitConverter.SingleToInt32Bits(shifted) & 0x007FFFFF) - 0x00400000;
    }

    /// <summary>
    /// Asymmetric codes L ∈ [0, nmax] with value ≈ scale·L − min for one group (ggml's <c>make_qkx2_quants</c>): start
    /// from the range [min(x, 0), max x], then try nstep + 1 stretched scales, each refit by weighted least squares for
    /// scale and minimum, keeping the one of least weighted error (squared, or absolute when
    /// <paramref name="useMad"/>). Returns the scale; <paramref name="theMin"/> gets the (non-negative) minimum.
    /// </summary>
    public static float MakeQkx2(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, int nmax, Span<byte> codes, Span<byte> scratch,
        float rmin, float rdelta, int nstep, bool useMad, out float theMin)
    {
        int n = x.Length;
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
            int l = NearestInt(iscale * (x[i] - min));
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
        for (int step = 0; step <= nstep; step++)
        {
            iscale = (rmin + rdelta * step + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++)
            {
                int l = Math.Max(0, Math.Min(nmax, NearestInt(iscale * (x[i] - min))));
                scratch[i] = (byte)l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[i];
            }
            float determinant = sumW * sumL2 - sumL * sumL;
            if (determinant > 0)
            {
                float thisScale = (sumW * sumXL - sumX * sumL) / determinant;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / determinant;
                if (thisMin > 0)
                {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++)
                {
                    float diff = thisScale * scratch[i] + thisMin - x[i];
                    diff = useMad ? MathF.Abs(diff) : diff * diff;
                    error += weights[i] * diff;
                }
                if (error < bestError)
                {
                    scratch[..n].CopyTo(codes);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin = -min;
        return scale;
    }

    /// <summary>
    /// Symmetric codes L ∈ [0, 2·nmax) with value ≈ scale·(L − nmax) for one group, weighted by x² (ggml's
    /// <c>make_qx_quants</c> with rmse_type 1 and no importance weights): the scale −nmax/max and 18 nearby ones
    /// (nmax ± 0.1·k), each refit by weighted least squares, keeping the one of best fit. Returns the scale.
    /// </summary>
    public static float MakeQx(ReadOnlySpan<float> x, int nmax, Span<sbyte> codes)
    {
        int n = x.Length;
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++)
        {
            float ax = MathF.Abs(x[i]);
            if (ax > amax) { amax = ax; max = x[i]; }
        }
        if (amax < GroupMaxEps)
        {
            codes[..n].Clear();
            return 0f;
        }
        float iscale = -nmax / max;
        float sumLX = 0, sumL2 = 0;
        for (int i = 0; i < n; i++)
        {
            int l = Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i])));
            codes[i] = (sbyte)(l + nmax);
            float w = x[i] * x[i];
            sumLX += w * x[i] * l;
            sumL2 += w * l * l;
        }
        float scale = sumL2 != 0 ? sumLX / sumL2 : 0f;
        float best = scale * sumLX;
        for (int step = -9; step <= 9; step++)
        {
            if (step == 0) continue;
            iscale = -(nmax + 0.1f * step) / max;
            sumLX = sumL2 = 0;
            for (int i = 0; i < n; i++)
            {
                int l = Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i])));
                float w = x[i] * x[i];
                sumLX += w * x[i] * l;
                sumL2 += w * l * l;
            }
            if (sumL2 > 0 && sumLX * sumLX > best * sumL2)
            {
                for (int i = 0; i < n; i++)
                    codes[i] = (sbyte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i]))));
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }
}
