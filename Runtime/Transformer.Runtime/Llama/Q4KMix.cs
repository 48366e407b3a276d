using Transformer.Kernels.Backend;
using Transformer.Kernels.Quantized.Ggml;

namespace Transformer.Runtime.Llama;

/// <summary>
/// <see cref="WeightFormat.Q4KM"/> resolved per matrix by llama.cpp's Q4_K_M rules (<see cref="GgmlQ4_K_M"/>), from the
/// matrix's Hugging Face name: the classifier (or the embedding it is tied to) and the <c>use_more_bits</c> layers'
/// <c>v_proj</c> and <c>down_proj</c> become <see cref="WeightFormat.Q6K"/>, the rest <see cref="WeightFormat.Q4K"/>;
/// the backend then applies llama.cpp's fallbacks for rows that are not whole super-blocks.
/// </summary>
public static class Q4KMix
{
    /// <summary>The format for matrix <paramref name="name"/>; any request other than Q4KM is returned as it is.</summary>
    public static WeightFormat Resolve(WeightFormat requested, string name, int layers, bool tiedEmbeddings)
    {
        if (requested != WeightFormat.Q4KM) return requested;
        var (role, layer) = RoleOf(name, tiedEmbeddings);
        return GgmlQ4_K_M.TypeFor(role, layer, layers, columns: GgmlQ4_K.BlockSize) == GgmlMixType.Q6_K ? WeightFormat.Q6K : WeightFormat.Q4K;
    }

    /// <summary>What a Hugging Face matrix is to llama.cpp's type rules, and its layer.</summary>
    public static (GgmlMixRole Role, int Layer) RoleOf(string name, bool tiedEmbeddings)
    {
        if (name.EndsWith("lm_head.weight", StringComparison.Ordinal) || (tiedEmbeddings && name.EndsWith("embed_tokens.weight", StringComparison.Ordinal)))
            return (GgmlMixRole.Output, 0);
        int layer = 0;
        int at = name.IndexOf(".layers.", StringComparison.Ordinal);
        if (at >= 0)
        {
            int start = at + ".layers.".Length, end = name.IndexOf('.', start);
            if (end > start) int.TryParse(name.AsSpan(start, end - start), out layer);
        }
        if (name.EndsWith(".v_proj.weight", StringComparison.Ordinal)) return (GgmlMixRole.AttentionValue, layer);
        if (name.EndsWith(".down_proj.weight", StringComparison.Ordinal)) return (GgmlMixRole.FeedForwardDown, layer);
        return (GgmlMixRole.Other, layer);
    }
}
