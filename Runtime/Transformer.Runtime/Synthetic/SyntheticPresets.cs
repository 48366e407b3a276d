using Transformer.Loader.Config;

namespace Transformer.Runtime.Synthetic;

/// <summary>
/// Model shapes for benchmarking on synthetic weights: the shapes of well-known checkpoints (so
/// figures compare with other engines on the same shapes) plus a tiny one for tests.
/// </summary>
public static class SyntheticPresets
{
    private static readonly Dictionary<string, ModelConfig> s_presets = new(StringComparer.OrdinalIgnoreCase)
    {
        // Small enough that a test runs a full prefill + decode in well under a second.
        ["tiny"] = Llama(hidden: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 128, vocab: 256, context: 512, tied: true, theta: 10000f),
        // Karpathy's stories15M (llama2.c): multi-head attention, untied classifier.
        ["stories15m"] = Llama(hidden: 288, layers: 6, heads: 6, kvHeads: 6, ffn: 768, vocab: 32000, context: 256, tied: false, theta: 10000f),
        // The checkpoints' presets are their config.json, read by the same reader as a real model, so the bench
        // builds the family's own model class with every setting the checkpoint has.
        ["smollm2-135m"] = FromConfigJson("smollm2-135m", PresetConfigs.SmolLm2_135M),
        ["tinyllama-1.1b"] = FromConfigJson("tinyllama-1.1b", PresetConfigs.TinyLlama_1_1B),
        ["qwen3-0.6b"] = FromConfigJson("qwen3-0.6b", PresetConfigs.Qwen3_0_6B),
        ["gemma3-1b"] = FromConfigJson("gemma3-1b", PresetConfigs.Gemma3_1B),
        ["phi3.5-mini"] = FromConfigJson("phi3.5-mini", PresetConfigs.Phi3_5Mini),
    };

    /// <summary>Preset names, smallest first.</summary>
    public static IReadOnlyList<string> Names { get; } = ["tiny", "stories15m", "smollm2-135m", "qwen3-0.6b", "gemma3-1b", "tinyllama-1.1b", "phi3.5-mini"];

    /// <summary>The configuration of a preset (case-insensitive name).</summary>
    /// <exception cref="ArgumentException">No preset has this name.</exception>
    public static ModelConfig Get(string name) =>
        s_presets.TryGetValue(name, out var config)
            ? config
            : throw new ArgumentException($"no synthetic preset named '{name}'; presets: {string.Join(", ", Names)}", nameof(name));

    private static ModelConfig FromConfigJson(string name, string json) => HuggingFaceConfig.Parse(json, $"synthetic preset {name}");

    private static ModelConfig Llama(int hidden, int layers, int heads, int kvHeads, int ffn, int vocab, int context, bool tied, float theta) => new()
    {
        Architecture = "LlamaForCausalLM",
        HiddenSize = hidden,
        IntermediateSize = ffn,
        NumLayers = layers,
        NumHeads = heads,
        NumKvHeads = kvHeads,
        HeadDim = hidden / heads,
        VocabSize = vocab,
        MaxPositions = context,
        RopeTheta = theta,
        TieWordEmbeddings = tied,
        BosTokenId = 1,
        EosTokenIds = [2],
    };
}
