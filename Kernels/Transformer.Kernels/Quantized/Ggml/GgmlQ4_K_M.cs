namespace Transformer.Kernels.Quantized.Ggml;

/// <summary>The ggml types llama.cpp's Q4_K_M mix gives a matrix, fallbacks included.</summary>
public enum GgmlMixType
{
    /// <summary>Q4_K super-blocks.</summary>
    Q4_K,
    /// <summary>Q6_K super-blocks.</summary>
    Q6_K,
    /// <summary>Q5_0 blocks of 32: what a Q4_K choice becomes when rows are not whole super-blocks.</summary>
    Q5_0,
    /// <summary>Q8_0 blocks of 32: what a Q6_K choice (or the output matrix) becomes when rows are not whole super-blocks.</summary>
    Q8_0,
    /// <summary>float16: when rows are not even whole blocks of 32.</summary>
    F16,
}

/// <summary>What a matrix is to llama.cpp's type rules.</summary>
public enum GgmlMixRole
{
    /// <summary>The output classifier (or the token embedding when it doubles as one).</summary>
    Output,
    /// <summary>A layer's attention value projection (<c>attn_v</c>).</summary>
    AttentionValue,
    /// <summary>A layer's feed-forward down projection (<c>ffn_down</c>).</summary>
    FeedForwardDown,
    /// <summary>Any other matrix, the token embedding included.</summary>
    Other,
}

/// <summary>
/// llama.cpp's <c>LLAMA_FTYPE_MOSTLY_Q4_K_M</c> type choice for a dense model without an importance matrix: Q4_K by
/// default; Q6_K for the output, and for <c>attn_v</c> and <c>ffn_down</c> in the layers its <c>use_more_bits</c>
/// picks (the first and last eighth, and every third between). Rows that are not whole 256-value super-blocks fall back
/// as llama.cpp's quantizer does: the output to Q8_0 directly, Q4_K to Q5_0, Q6_K to Q8_0, and rows that are not whole
/// 32-value blocks either to F16.
/// </summary>
public static class GgmlQ4_K_M
{
    /// <summary>The type for a matrix of <paramref name="columns"/> per row in layer <paramref name="layer"/> of <paramref name="layers"/>.</summary>
    public static GgmlMixType TypeFor(GgmlMixRole role, int layer, int layers, int columns)
    {
        GgmlMixType chosen = role switch
        {
            GgmlMixRole.Output => columns % GgmlQ4_K.BlockSize != 0 ? GgmlMixType.Q8_0 : GgmlMixType.Q6_K,
            GgmlMixRole.AttentionValue or GgmlMixRole.FeedForwardDown when UseMoreBits(layer, layers) => GgmlMixType.Q6_K,
            _ => GgmlMixType.Q4_K,
        };
        return Fallback(chosen, columns);
    }

    /// <summary>What llama.cpp's quantizer stores for <paramref name="chosen"/> when rows of <paramref name="columns"/> do not fit its blocks.</summary>
    public static GgmlMixType Fallback(GgmlMixType chosen, int columns)
    {
        if (chosen is GgmlMixType.Q4_K or GgmlMixType.Q6_K && columns % GgmlQ4_K.BlockSize != 0)
            chosen = chosen == GgmlMixType.Q4_K ? GgmlMixType.Q5_0 : GgmlMixType.Q8_0;
        return columns % Q8Format.BlockSize != 0 ? GgmlMixType.F16 : chosen;
    }

    /// <summary>llama.cpp's <c>use_more_bits</c>: the first and last eighth of the layers, and every third layer between.</summary>
    public static bool UseMoreBits(int layer, int layers) =>
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
}
