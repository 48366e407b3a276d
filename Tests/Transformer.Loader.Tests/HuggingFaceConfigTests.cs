using System.Text.Json.Nodes;
using Transformer.Kernels.Backend;
using Transformer.Loader.Config;
using Transformer.Tests.Shared;

namespace Transformer.Loader.Tests;

public sealed class HuggingFaceConfigTests
{
    private const string Source = "test/config.json";

    /// <summary>A minimal valid Llama config; tests change one field at a time.</summary>
    private static JsonObject Llama() => new()
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["model_type"] = "llama",
        ["hidden_size"] = 64,
        ["intermediate_size"] = 172,
        ["num_hidden_layers"] = 2,
        ["num_attention_heads"] = 8,
        ["vocab_size"] = 100,
        ["max_position_embeddings"] = 256,
    };

    private static ModelConfig Parse(JsonObject json) => HuggingFaceConfig.Parse(json.ToJsonString(), Source);

    private static string Rejection(JsonObject json)
    {
        var error = Assert.Throws<ModelFormatException>(() => Parse(json));
        Assert.StartsWith(Source + ":", error.Message);
        return error.Message;
    }

    [Fact]
    public void Stories260K_config_matches_its_documented_shape()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        var config = HuggingFaceConfig.Load(SharedModels.Stories260KFile("config.json"));
        Assert.Equal("LlamaForCausalLM", config.Architecture);
        Assert.Equal((64, 172, 5, 8, 4, 8, 512, 512), (config.HiddenSize, config.IntermediateSize, config.NumLayers,
            config.NumHeads, config.NumKvHeads, config.HeadDim, config.VocabSize, config.MaxPositions));
        Assert.Equal(1e-5f, config.RmsNormEps);
        Assert.Equal(10000f, config.RopeTheta);
        Assert.Null(config.RopeScaling);
        Assert.Equal(RopeStyle.RotateHalf, config.RopeStyle);
        Assert.True(config.TieWordEmbeddings);
        Assert.False(config.AttentionBias);
        Assert.False(config.OutputProjectionBias);
        Assert.False(config.MlpBias);
        Assert.Equal(1, config.BosTokenId);
        Assert.Equal([2], config.EosTokenIds);
        Assert.Null(config.SlidingWindow);
    }

    [Fact]
    public void Defaults_follow_the_transformers_library()
    {
        var config = Parse(Llama());
        Assert.Equal(8, config.NumKvHeads);      // num_key_value_heads defaults to num_attention_heads
        Assert.Equal(8, config.HeadDim);         // head_dim defaults to hidden_size / num_attention_heads
        Assert.Equal(1e-6f, config.RmsNormEps);
        Assert.Equal(10000f, config.RopeTheta);
        Assert.False(config.TieWordEmbeddings);
        Assert.False(config.AttentionBias);
        Assert.False(config.MlpBias);
        Assert.Null(config.BosTokenId);
        Assert.Empty(config.EosTokenIds);
    }

    [Fact]
    public void Llama3_rope_scaling_and_eos_list()
    {
        var json = Llama();
        json["rope_theta"] = 500000.0;
        json["rope_scaling"] = new JsonObject
        {
            ["rope_type"] = "llama3", ["factor"] = 8.0, ["low_freq_factor"] = 1.0,
            ["high_freq_factor"] = 4.0, ["original_max_position_embeddings"] = 8192,
        };
        json["eos_token_id"] = new JsonArray(98, 99);
        var config = Parse(json);
        Assert.Equal(new RopeScaling(8f, 1f, 4f, 8192), config.RopeScaling);
        Assert.Equal(500000f, config.RopeTheta);
        Assert.Equal([98, 99], config.EosTokenIds);
    }

    [Fact]
    public void Older_rope_scaling_key_type_is_accepted_and_default_means_none()
    {
        var json = Llama();
        json["rope_scaling"] = new JsonObject
        {
            ["type"] = "llama3", ["factor"] = 32.0, ["low_freq_factor"] = 1.0,
            ["high_freq_factor"] = 4.0, ["original_max_position_embeddings"] = 8192,
        };
        Assert.Equal(32f, Parse(json).RopeScaling!.Factor);
        json["rope_scaling"] = new JsonObject { ["rope_type"] = "default" };
        Assert.Null(Parse(json).RopeScaling);
    }

    [Fact]
    public void Unsupported_rope_scaling_names_the_type_and_lists_the_supported()
    {
        var json = Llama();
        json["rope_scaling"] = new JsonObject { ["type"] = "yarn", ["factor"] = 4.0 };
        string message = Rejection(json);
        Assert.Contains("rope_scaling type 'yarn' is not supported", message);
        Assert.Contains("default, llama3", message);
    }

    [Fact]
    public void Llama3_rope_scaling_with_a_missing_factor_is_named()
    {
        var json = Llama();
        json["rope_scaling"] = new JsonObject { ["rope_type"] = "llama3", ["factor"] = 8.0 };
        Assert.Contains("'rope_scaling.low_freq_factor' is missing", Rejection(json));
    }

    [Fact]
    public void Unsupported_model_types_list_the_supported_ones()
    {
        var json = Llama();
        json["model_type"] = "gpt2";
        json.Remove("architectures");
        string message = Rejection(json);
        Assert.Contains("model_type 'gpt2' is not supported", message);
        Assert.Contains("llama (LlamaForCausalLM), mistral (MistralForCausalLM), qwen2 (Qwen2ForCausalLM)", message);

        json = Llama();
        json["architectures"] = new JsonArray("GPT2LMHeadModel");
        json.Remove("model_type");
        Assert.Contains("architecture 'GPT2LMHeadModel' is not supported", Rejection(json));

        json = Llama();
        json["architectures"] = new JsonArray("MistralForCausalLM");
        Assert.Contains("disagrees", Rejection(json));
    }

    [Fact]
    public void Qwen2_has_qkv_biases_but_no_output_projection_bias()
    {
        var json = Llama();
        json["model_type"] = "qwen2";
        json["architectures"] = new JsonArray("Qwen2ForCausalLM");
        json["sliding_window"] = 4096;
        json["use_sliding_window"] = false;
        var config = Parse(json);
        Assert.Equal("Qwen2ForCausalLM", config.Architecture);
        Assert.True(config.AttentionBias);
        Assert.False(config.OutputProjectionBias);
        Assert.Null(config.SlidingWindow);

        // With use_sliding_window, the layers from max_window_layers (default 28) on slide: none of these two.
        json["use_sliding_window"] = true;
        Assert.Null(Parse(json).SlidingWindow);
        json["max_window_layers"] = 1;
        Assert.Equal([false, true], Parse(json).SlidingLayers);
    }

    [Fact]
    public void Llama_attention_bias_covers_the_output_projection()
    {
        var json = Llama();
        json["attention_bias"] = true;
        var config = Parse(json);
        Assert.True(config.AttentionBias);
        Assert.True(config.OutputProjectionBias);
    }

    [Fact]
    public void Mistral_sliding_window_is_read()
    {
        var json = Llama();
        json["model_type"] = "mistral";
        json["architectures"] = new JsonArray("MistralForCausalLM");
        json["sliding_window"] = 4096;
        Assert.Equal(4096, Parse(json).SlidingWindow);
        json["sliding_window"] = null;
        Assert.Null(Parse(json).SlidingWindow);
        json["sliding_window"] = 0;
        Assert.Contains("sliding_window must be positive", Rejection(json));
    }

    [Theory]
    [InlineData("hidden_size")]
    [InlineData("intermediate_size")]
    [InlineData("num_hidden_layers")]
    [InlineData("num_attention_heads")]
    [InlineData("vocab_size")]
    [InlineData("max_position_embeddings")]
    public void Missing_required_fields_are_named(string field)
    {
        var json = Llama();
        json.Remove(field);
        Assert.Contains($"required field '{field}' is missing", Rejection(json));
    }

    [Theory]
    [InlineData("hidden_size", 0)]
    [InlineData("intermediate_size", -1)]
    [InlineData("num_hidden_layers", 0)]
    [InlineData("vocab_size", 0)]
    [InlineData("num_key_value_heads", 0)]
    public void Non_positive_sizes_are_named(string field, int value)
    {
        var json = Llama();
        json["head_dim"] = 8;
        json[field] = value;
        Assert.Contains($"{field} must be positive, got {value}", Rejection(json));
    }

    [Fact]
    public void Heads_must_be_a_multiple_of_kv_heads()
    {
        var json = Llama();
        json["num_key_value_heads"] = 3;
        Assert.Contains("num_attention_heads (8) must be a multiple of num_key_value_heads (3)", Rejection(json));
    }

    [Fact]
    public void Head_dim_must_be_even()
    {
        var json = Llama();
        json["head_dim"] = 7;
        Assert.Contains("head_dim (7) must be even", Rejection(json));
    }

    [Fact]
    public void Hidden_size_not_divisible_by_heads_needs_an_explicit_head_dim()
    {
        var json = Llama();
        json["num_attention_heads"] = 6;
        Assert.Contains("hidden_size (64) is not divisible by num_attention_heads (6)", Rejection(json));
        json["num_key_value_heads"] = 6;
        json["head_dim"] = 12;
        Assert.Equal(12, Parse(json).HeadDim);
    }

    [Fact]
    public void Wrong_json_types_are_named()
    {
        var json = Llama();
        json["hidden_size"] = "64";
        Assert.Contains("field 'hidden_size' must be a 32-bit integer, found \"64\"", Rejection(json));
        json = Llama();
        json["tie_word_embeddings"] = 1;
        Assert.Contains("field 'tie_word_embeddings' must be true or false", Rejection(json));
        json = Llama();
        json["eos_token_id"] = new JsonArray("x");
        Assert.Contains("field 'eos_token_id' must be an integer or a list of integers", Rejection(json));
    }

    [Fact]
    public void Token_ids_outside_the_vocabulary_are_rejected()
    {
        var json = Llama();
        json["eos_token_id"] = new JsonArray(2, 100);
        Assert.Contains("eos_token_id 100 is outside the vocabulary of 100", Rejection(json));
    }

    [Fact]
    public void Non_silu_activations_are_rejected()
    {
        var json = Llama();
        json["hidden_act"] = "gelu";
        Assert.Contains("hidden_act 'gelu' is not supported", Rejection(json));
    }

    [Fact]
    public void Invalid_json_is_rejected() =>
        Assert.Contains("not valid JSON", Assert.Throws<ModelFormatException>(() => HuggingFaceConfig.Parse("{", Source)).Message);
}
