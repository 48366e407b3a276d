namespace Transformer.Runtime.Synthetic;

/// <summary>
/// The config.json of the checkpoints whose shapes the bench presets (and the student presets of the same names) copy (Hugging Face, fields the reader uses;
/// transformers' defaults fill the rest as for the real files).
/// </summary>
internal static class PresetConfigs
{
    /// <summary>
    /// HuggingFaceTB/SmolLM2-135M, which copies facebook/MobileLLM-125M's shape: deep and thin, GQA 3:1, tied
    /// embeddings. The bench's smollm2-135m and the student presets mobilellm-125m / smollm2-135m.
    /// </summary>
    public const string SmolLm2_135M = """
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama",
          "hidden_size": 576, "intermediate_size": 1536, "num_hidden_layers": 30,
          "num_attention_heads": 9, "num_key_value_heads": 3, "head_dim": 64,
          "vocab_size": 49152, "max_position_embeddings": 8192, "rms_norm_eps": 1e-05, "rope_theta": 100000.0,
          "hidden_act": "silu", "attention_bias": false, "mlp_bias": false, "tie_word_embeddings": true,
          "bos_token_id": 1, "eos_token_id": 2
        }
        """;

    /// <summary>TinyLlama/TinyLlama-1.1B-Chat-v1.0: Llama 2's architecture, GQA 8:1, untied classifier.</summary>
    public const string TinyLlama_1_1B = """
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama",
          "hidden_size": 2048, "intermediate_size": 5632, "num_hidden_layers": 22,
          "num_attention_heads": 32, "num_key_value_heads": 4, "head_dim": 64,
          "vocab_size": 32000, "max_position_embeddings": 2048, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
          "hidden_act": "silu", "attention_bias": false, "mlp_bias": false, "tie_word_embeddings": false,
          "bos_token_id": 1, "eos_token_id": 2
        }
        """;

    /// <summary>Qwen/Qwen3-0.6B.</summary>
    public const string Qwen3_0_6B = """
        {
          "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3",
          "hidden_size": 1024, "intermediate_size": 3072, "num_hidden_layers": 28,
          "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128,
          "vocab_size": 151936, "max_position_embeddings": 40960,
          "rms_norm_eps": 1e-06, "rope_theta": 1000000, "attention_bias": false, "hidden_act": "silu",
          "tie_word_embeddings": true, "use_sliding_window": false,
          "bos_token_id": 151643, "eos_token_id": 151645
        }
        """;

    /// <summary>google/gemma-3-1b-pt (the text-only Gemma 3: 5 local layers with a 512-position window per global layer).</summary>
    public const string Gemma3_1B = """
        {
          "architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text",
          "hidden_size": 1152, "intermediate_size": 6912, "num_hidden_layers": 26,
          "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 256,
          "vocab_size": 262144, "max_position_embeddings": 32768,
          "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06,
          "rope_theta": 1000000, "rope_local_base_freq": 10000,
          "sliding_window": 512, "sliding_window_pattern": 6,
          "attn_logit_softcapping": null, "final_logit_softcapping": null,
          "hidden_activation": "gelu_pytorch_tanh", "attention_bias": false,
          "bos_token_id": 2, "eos_token_id": 1
        }
        """;

    /// <summary>
    /// microsoft/Phi-3.5-mini-instruct. Its LongRoPE factors (48 per list) are written as 1 here: they change
    /// the rotation angles, not the work, and a bench on random weights has no use for their values.
    /// </summary>
    public const string Phi3_5Mini = """
        {
          "architectures": ["Phi3ForCausalLM"], "model_type": "phi3",
          "hidden_size": 3072, "intermediate_size": 8192, "num_hidden_layers": 32,
          "num_attention_heads": 32, "num_key_value_heads": 32,
          "vocab_size": 32064, "max_position_embeddings": 131072, "original_max_position_embeddings": 4096,
          "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "sliding_window": 262144, "hidden_act": "silu",
          "rope_scaling": {
            "type": "longrope",
            "short_factor": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
            "long_factor": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
          },
          "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 32000
        }
        """;
}
