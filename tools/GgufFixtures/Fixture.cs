using LLama.Native;
using Transformer.Loader.Config;
using Transformer.Runtime.Synthetic;

namespace GgufFixtures;

/// <summary>A synthetic model written as F32 GGUF and quantized by llama.cpp.</summary>
internal sealed record Fixture(string Name, ModelConfig Config, ulong Seed, (LLamaFtype Type, string Name)[] Quantizations)
{
    /// <summary>The tokens every logits fixture runs (BOS first).</summary>
    public static readonly int[] TokenIds = [1, 300, 17, 42, 299, 5, 260, 123];

    public static readonly Fixture[] All =
    [
        // Rows of 64 and 128 values: whole Q8_0/Q4_0 blocks (32), not K-quant super-blocks (256).
        new("tiny-llama", SyntheticPresets.Get("tiny") with { VocabSize = SyntheticVocabulary.Size, TieWordEmbeddings = false, BosTokenId = 1, EosTokenIds = [2] }, 0x6775,
            [(LLamaFtype.MOSTLY_Q8_0, "q8_0"), (LLamaFtype.MOSTLY_Q4_0, "q4_0")]),
        // Rows of 256: whole K-quant super-blocks, so Q4_K_M quantizes them to Q4_K and Q6_K.
        new("tiny256-llama", SyntheticPresets.Get("tiny") with
        {
            HiddenSize = 256, IntermediateSize = 256, NumLayers = 1, NumHeads = 4, NumKvHeads = 2, HeadDim = 64,
            VocabSize = SyntheticVocabulary.Size, TieWordEmbeddings = false, BosTokenId = 1, EosTokenIds = [2],
        }, 0x6776, [(LLamaFtype.MOSTLY_Q4_K_M, "q4_k_m")]),
        // Rows of 256 except the down projection's 96: Q4_K_M gives Q4_K and Q6_K tensors beside a Q8_0 one (the Q6_K
        // down projection falls back to Q8_0), the mix llama.cpp's quantizer writes for rows that are not whole super-blocks.
        new("tiny256-mixed-llama", SyntheticPresets.Get("tiny") with
        {
            HiddenSize = 256, IntermediateSize = 96, NumLayers = 1, NumHeads = 4, NumKvHeads = 2, HeadDim = 64,
            VocabSize = SyntheticVocabulary.Size, TieWordEmbeddings = false, BosTokenId = 1, EosTokenIds = [2],
        }, 0x6778, [(LLamaFtype.MOSTLY_Q4_K_M, "q4_k_m")]),
        // Qwen2: q/k/v biases, rows stored in Hugging Face order (llama.cpp runs it with NeoX RoPE).
        new("tiny-qwen2", SyntheticPresets.Get("tiny") with
        {
            Architecture = "Qwen2ForCausalLM", AttentionBias = true, OutputProjectionBias = false, RopeTheta = 1_000_000f, RmsNormEps = 1e-6f,
            VocabSize = SyntheticVocabulary.Size, TieWordEmbeddings = false, BosTokenId = 1, EosTokenIds = [2],
        }, 0x6777, [(LLamaFtype.MOSTLY_Q8_0, "q8_0")]),
    ];
}
