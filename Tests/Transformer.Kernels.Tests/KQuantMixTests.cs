using Transformer.Kernels.Quantized.Ggml;
using Xunit;

namespace Transformer.Kernels.Tests;

/// <summary>llama.cpp's Q4_K_M type mix, held to its published tensor counts and its fallbacks for short rows.</summary>
public class KQuantMixTests
{
    /// <summary>
    /// Llama-2-7B as Q4_K_M (32 layers of 7 matrices, embedding and output): llama.cpp reports 193 Q4_K and 33 Q6_K
    /// tensors — half the layers' attn_v and ffn_down and the output are Q6_K.
    /// </summary>
    [Fact]
    public void A_32_layer_llama_gets_llama_cpps_193_q4_k_and_33_q6_k_tensors()
    {
        var types = new List<GgmlMixType> { GgmlQ4_K_M.TypeFor(GgmlMixRole.Other, 0, 32, 4096), GgmlQ4_K_M.TypeFor(GgmlMixRole.Output, 0, 32, 4096) };
        for (int layer = 0; layer < 32; layer++)
        {
            types.AddRange(Enumerable.Repeat(GgmlQ4_K_M.TypeFor(GgmlMixRole.Other, layer, 32, 4096), 5)); // q, k, o, gate, up
            types.Add(GgmlQ4_K_M.TypeFor(GgmlMixRole.AttentionValue, layer, 32, 4096));
            types.Add(GgmlQ4_K_M.TypeFor(GgmlMixRole.FeedForwardDown, layer, 32, 11008));
        }
        Assert.Equal(193, types.Count(t => t == GgmlMixType.Q4_K));
        Assert.Equal(33, types.Count(t => t == GgmlMixType.Q6_K));
        int[] moreBits = [.. Enumerable.Range(0, 32).Where(l => GgmlQ4_K_M.UseMoreBits(l, 32))];
        Assert.Equal([0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31], moreBits);
    }

    [Fact]
    public void Rows_that_are_not_whole_super_blocks_fall_back_as_llama_cpp_does()
    {
        Assert.Equal(GgmlMixType.Q5_0, GgmlQ4_K_M.TypeFor(GgmlMixRole.Other, 3, 8, 64));
        Assert.Equal(GgmlMixType.Q8_0, GgmlQ4_K_M.TypeFor(GgmlMixRole.AttentionValue, 0, 8, 64));
        Assert.Equal(GgmlMixType.Q8_0, GgmlQ4_K_M.TypeFor(GgmlMixRole.Output, 0, 8, 576));
        Assert.Equal(GgmlMixType.F16, GgmlQ4_K_M.TypeFor(GgmlMixRole.FeedForwardDown, 0, 8, 172));
        Assert.Equal(GgmlMixType.F16, GgmlQ4_K_M.TypeFor(GgmlMixRole.Other, 1, 8, 172));
        Assert.Equal(GgmlMixType.Q4_K, GgmlQ4_K_M.TypeFor(GgmlMixRole.FeedForwardDown, 4, 8, 512));
    }
}
