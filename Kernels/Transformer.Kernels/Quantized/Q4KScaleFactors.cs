namespace Transformer.Kernels.Quantized;

/// <summary>
/// Recovers a super-block's shared float32 factor from the per-block products a <see cref="Q4KWeight"/> holds: ggml
/// stores d (f16) once per super-block and a 6-bit s per block, and <see cref="Q4KWeight"/> keeps only the products
/// d·s (likewise dmin·m). Finding a d' and bytes s'_j with fl(d'·s'_j) equal to every product bit for bit lets the
/// interleaved layout store one float per super-block and one byte per block and still give every product exactly.
/// </summary>
/// <remarks>
/// The candidates are d' = p_k / s for the smallest nonzero product p_k and s = 1..63, s'_j = round(p_j / d'); the
/// first under which every product reproduces is taken. For ggml data the true (d, s_k) is among them and succeeds:
/// d has 11 significant bits and s at most 6, so d·s is exact in float32, p_k / s_k is d exactly and p_j / d is s_j.
/// Any other accepted candidate reproduces the same bits, which is all the layout needs. A candidate with more than
/// an f16's 11 significant bits is skipped before its codes are tried: the true d never is one, and the test (one
/// division and a mask per candidate) keeps the search from dividing every product for each of up to 63 candidates,
/// which made loading a 1.1B Q4_K_M file take 10 s longer.
/// </remarks>
public static class Q4KScaleFactors
{
    /// <summary>The largest multiplier a factor byte holds.</summary>
    private const int MaxCode = byte.MaxValue;

    /// <summary>The multipliers tried for the smallest nonzero product: ggml's 6-bit range.</summary>
    private const int MaxSmallestCode = 63;

    /// <summary>The float32 mantissa bits below an f16's 10: zero in every f16 value widened to float32.</summary>
    private const int BelowHalfMantissa = (1 << 13) - 1;

    /// <summary>
    /// A <paramref name="factor"/> and one byte per product in <paramref name="codes"/> with
    /// <c>factor * codes[j]</c> (float32) bitwise <paramref name="products"/>[j] for every j, or false where none of
    /// the candidates reproduces them all (products not of the form f16 · 6-bit integer, NaN, ∞, zeros of both signs).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="codes"/> does not hold one byte per product.</exception>
    public static bool TryFactor(ReadOnlySpan<float> products, out float factor, Span<byte> codes)
    {
        if (codes.Length != products.Length)
            throw new ArgumentException($"{products.Length} products need as many codes, got {codes.Length}", nameof(codes));
        float smallest = 0f;
        foreach (float p in products)
            if (p != 0f && (smallest == 0f || Math.Abs(p) < Math.Abs(smallest))) smallest = p;
        if (smallest == 0f)
        {
            // All zeros (or none): factor 0 of their sign gives them back, if they share one.
            factor = products.IsEmpty ? 0f : products[0];
            codes.Clear();
            return Reproduces(products, factor, codes);
        }
        for (int s = 1; s <= MaxSmallestCode; s++)
        {
            factor = smallest / s;
            if ((BitConverter.SingleToInt32Bits(factor) & BelowHalfMantissa) != 0) continue;
            if (TryCodes(products, factor, codes) && Reproduces(products, factor, codes)) return true;
        }
        factor = 0f;
        return false;
    }

    /// <summary>round(p_j / factor) into each code, false where one is negative, above 255 or not a number.</summary>
    private static bool TryCodes(ReadOnlySpan<float> products, float factor, Span<byte> codes)
    {
        for (int j = 0; j < products.Length; j++)
        {
            double code = Math.Round((double)products[j] / factor);
            if (!(code >= 0 && code <= MaxCode)) return false;
            codes[j] = (byte)code;
        }
        return true;
    }

    private static bool Reproduces(ReadOnlySpan<float> products, float factor, ReadOnlySpan<byte> codes)
    {
        for (int j = 0; j < products.Length; j++)
            if (BitConverter.SingleToInt32Bits(factor * codes[j]) != BitConverter.SingleToInt32Bits(products[j])) return false;
        return true;
    }
}
