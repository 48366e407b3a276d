using Transformer.Runtime.Synthetic;

namespace Transformer.Runtime.Distillation;

/// <summary>
/// Student shapes people distill into, as the config.json of the checkpoint each copies (Hugging Face field names,
/// read by the same reader as a real model; the shapes the bench also has come from its <see cref="PresetConfigs"/>). The vocabulary and the BOS/EOS ids are the teacher's, filled in by
/// <see cref="StudentConfig"/>: a preset fixes the shape, the teacher fixes the tokens.
/// </summary>
public static class StudentPresets
{
    // HuggingFaceTB/SmolLM2-360M (MobileLLM-350M's depth and width class).
    private const string SmolLm2_360M = """
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama",
          "hidden_size": 960, "intermediate_size": 2560, "num_hidden_layers": 32,
          "num_attention_heads": 15, "num_key_value_heads": 5, "head_dim": 64,
          "max_position_embeddings": 8192, "rms_norm_eps": 1e-05, "rope_theta": 100000.0,
          "hidden_act": "silu", "attention_bias": false, "mlp_bias": false, "tie_word_embeddings": true
        }
        """;

    // Qwen/Qwen2.5-0.5B: q/k/v biases (Qwen2 always has them), GQA 7:1.
    private const string Qwen25_05B = """
        {
          "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2",
          "hidden_size": 896, "intermediate_size": 4864, "num_hidden_layers": 24,
          "num_attention_heads": 14, "num_key_value_heads": 2, "head_dim": 64,
          "max_position_embeddings": 32768, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
          "hidden_act": "silu", "tie_word_embeddings": true, "use_sliding_window": false
        }
        """;

    // meta-llama/Llama-3.2-1B: Llama 3's RoPE scaling, tied embeddings.
    private const string Llama32_1B = """
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama",
          "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
          "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 64,
          "max_position_embeddings": 131072, "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
          "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                           "original_max_position_embeddings": 8192},
          "hidden_act": "silu", "attention_bias": false, "mlp_bias": false, "tie_word_embeddings": true
        }
        """;

    // For tests: stories260K's head layout (head_dim 8, GQA 2:1) at two layers and a smaller MLP, so it can be
    // initialised from that teacher as well as randomly; the untied variant exercises a classifier of its own.
    private const string Tiny = """
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama",
          "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
          "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 8,
          "max_position_embeddings": 512, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
          "hidden_act": "silu", "attention_bias": false, "mlp_bias": false, "tie_word_embeddings": true
        }
        """;

    private static readonly Dictionary<string, string> s_presets = new(StringComparer.OrdinalIgnoreCase)
    {
        ["tiny"] = Tiny,
        ["tiny-untied"] = Tiny.Replace("\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false", StringComparison.Ordinal),
        ["mobilellm-125m"] = PresetConfigs.SmolLm2_135M,
        ["smollm2-135m"] = PresetConfigs.SmolLm2_135M,
        ["mobilellm-350m"] = SmolLm2_360M,
        ["smollm2-360m"] = SmolLm2_360M,
        ["qwen2.5-0.5b"] = Qwen25_05B,
        ["llama-3.2-1b"] = Llama32_1B,
        ["tinyllama-1.1b"] = PresetConfigs.TinyLlama_1_1B,
    };

    /// <summary>Preset names, smallest first.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["tiny", "tiny-untied", "mobilellm-125m", "smollm2-135m", "mobilellm-350m", "smollm2-360m", "qwen2.5-0.5b", "llama-3.2-1b", "tinyllama-1.1b"];

    /// <summary>The config.json of a preset (case-insensitive name), without vocabulary or special-token ids.</summary>
    /// <exception cref="ArgumentException">No preset has this name.</exception>
    public static string ConfigJson(string name) =>
        s_presets.TryGetValue(name, out var json)
            ? json
            : throw new ArgumentException($"no student preset named '{name}'; presets: {string.Join(", ", Names)}", nameof(name));
}
