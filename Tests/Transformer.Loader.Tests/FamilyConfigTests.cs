using System.Text.Json.Nodes;
using Transformer.Loader.Config;

namespace Transformer.Loader.Tests;

/// <summary>config.json mapping of the families beyond Llama (issue 10): each family's fields and defaults, and clear errors.</summary>
public sealed class FamilyConfigTests
{
    private const string Source = "test/config.json";

    private static JsonObject Base(string modelType, string architecture) => new()
    {
        ["architectures"] = new JsonArray(architecture),
        ["model_type"] = modelType,
        ["hidden_size"] = 64,
        ["intermediate_size"] = 128,
        ["num_hidden_layers"] = 4,
        ["num_attention_heads"] = 4,
        ["num_key_value_heads"] = 2,
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
    public void Qwen3_keeps_its_own_head_dim_and_has_no_biases_by_default()
    {
        var json = Base("qwen3", "Qwen3ForCausalLM");
        json["head_dim"] = 32; // 4 heads × 32 ≠ hidden 64
        var config = Parse(json);
        Assert.Equal("Qwen3ForCausalLM", config.Architecture);
        Assert.Equal((32, 128, 64), (config.HeadDim, config.QueryWidth, config.KvWidth));
        Assert.False(config.AttentionBias);
        Assert.False(config.OutputProjectionBias);
    }

    [Fact]
    public void Qwen3_without_head_dim_takes_the_transformers_default_of_128()
    {
        Assert.Equal(128, Parse(Base("qwen3", "Qwen3ForCausalLM")).HeadDim);
    }

    [Fact]
    public void Qwen3_slides_the_layers_from_max_window_layers_on()
    {
        var json = Base("qwen3", "Qwen3ForCausalLM");
        json["sliding_window"] = 8;
        Assert.Null(Parse(json).SlidingWindow); // use_sliding_window defaults to false
        json["use_sliding_window"] = true;
        json["max_window_layers"] = 2;
        var config = Parse(json);
        Assert.Equal(8, config.SlidingWindow);
        Assert.Equal([false, false, true, true], config.SlidingLayers);
        Assert.Equal([0, 0, 8, 8], Enumerable.Range(0, 4).Select(config.LayerWindow));
        json["max_window_layers"] = 0;
        Assert.Null(Parse(json).SlidingLayers); // every layer slides: one window for the whole step, as Mistral
        Assert.Equal(8, Parse(json).SlidingWindow);
    }

    [Fact]
    public void Layer_types_take_precedence_over_max_window_layers()
    {
        var json = Base("qwen2", "Qwen2ForCausalLM");
        json["use_sliding_window"] = true;
        json["sliding_window"] = 8;
        json["max_window_layers"] = 2;
        json["layer_types"] = new JsonArray("sliding_attention", "full_attention", "sliding_attention", "full_attention");
        Assert.Equal([true, false, true, false], Parse(json).SlidingLayers);
        json["use_sliding_window"] = false; // layer_types alone decide, as transformers reads them
        Assert.Equal([true, false, true, false], Parse(json).SlidingLayers);
        json["layer_types"] = new JsonArray("full_attention", "full_attention", "full_attention", "full_attention");
        Assert.Null(Parse(json).SlidingWindow);
    }

    [Fact]
    public void Inconsistent_sliding_fields_are_refused_by_name()
    {
        var json = Base("qwen3", "Qwen3ForCausalLM");
        json["sliding_window"] = 8;
        json["layer_types"] = new JsonArray("sliding_attention", "full_attention");
        Assert.Contains("layer_types has 2 entries for 4 layers", Rejection(json));
        json["layer_types"] = new JsonArray("sliding_attention", "full_attention", "chunked_attention", "full_attention");
        Assert.Contains("layer_types entry 'chunked_attention' is not supported", Rejection(json));
        json["layer_types"] = new JsonArray("sliding_attention", "full_attention", "full_attention", "full_attention");
        json.Remove("sliding_window");
        Assert.Contains("layer_types lists sliding_attention layers but sliding_window is not set", Rejection(json));
        json.Remove("layer_types");
        json["use_sliding_window"] = true;
        json["max_window_layers"] = -1;
        Assert.Contains("max_window_layers must be ≥ 0", Rejection(json));
        json["max_window_layers"] = 1;
        Assert.Contains("use_sliding_window is true but sliding_window is not set", Rejection(json));
    }

    [Fact]
    public void SmolLM3_drops_rope_every_fourth_layer_by_default_with_its_own_defaults()
    {
        var json = Base("smollm3", "SmolLM3ForCausalLM");
        json["num_hidden_layers"] = 8;
        var config = Parse(json);
        Assert.Equal([true, true, true, false, true, true, true, false], config.RopeByLayer);
        Assert.Equal(2_000_000f, config.RopeTheta);
        Assert.True(config.TieWordEmbeddings);
    }

    [Fact]
    public void SmolLM3_reads_an_explicit_no_rope_layers_list_and_its_interval()
    {
        var json = Base("smollm3", "SmolLM3ForCausalLM");
        json["no_rope_layers"] = new JsonArray(0, 1, 1, 0, 1); // longer than the layers is allowed, as in transformers
        Assert.Equal([false, true, true, false], Parse(json).RopeByLayer);

        json.Remove("no_rope_layers");
        json["no_rope_layer_interval"] = 2;
        Assert.Equal([true, false, true, false], Parse(json).RopeByLayer);
    }

    [Fact]
    public void SmolLM3_bad_no_rope_layers_are_named()
    {
        var json = Base("smollm3", "SmolLM3ForCausalLM");
        json["no_rope_layers"] = new JsonArray(1, 1);
        Assert.Contains("no_rope_layers has 2 entries", Rejection(json));
        json["no_rope_layers"] = new JsonArray(1, 2, 1, 1);
        Assert.Contains("must be 0 (no RoPE) or 1 (RoPE), found 2", Rejection(json));
        json.Remove("no_rope_layers");
        json["no_rope_layer_interval"] = 0;
        Assert.Contains("no_rope_layer_interval must be positive", Rejection(json));
        json.Remove("no_rope_layer_interval");
        json["use_sliding_window"] = true;
        json["max_window_layers"] = 3;
        json["sliding_window"] = 16;
        Assert.Equal([false, false, false, true], Parse(json).SlidingLayers);
    }

    [Fact]
    public void Other_families_rope_every_layer()
    {
        Assert.Null(Parse(Base("qwen3", "Qwen3ForCausalLM")).RopeByLayer);
    }

    private static JsonObject Phi3()
    {
        var json = Base("phi3", "Phi3ForCausalLM"); // head_dim 64 / 4 = 16
        json["partial_rotary_factor"] = 0.75;         // 12 features rotate: 6 pairs
        json["original_max_position_embeddings"] = 64;
        json["rope_scaling"] = new JsonObject
        {
            ["type"] = "longrope",
            ["short_factor"] = new JsonArray(1.0, 1.0, 1.1, 1.2, 1.3, 1.4),
            ["long_factor"] = new JsonArray(1.0, 2.0, 3.0, 4.0, 5.0, 6.0),
        };
        return json;
    }

    [Fact]
    public void Phi3_reads_partial_rotary_and_longrope_with_the_transformers_attention_factor()
    {
        var config = Parse(Phi3());
        Assert.Equal("Phi3ForCausalLM", config.Architecture);
        Assert.Equal((16, 12), (config.HeadDim, config.RotaryDim));
        var longRope = Assert.IsType<Config.LongRopeScaling>(config.LongRope);
        Assert.Equal(64, longRope.OriginalMaxPositions);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], longRope.LongFactor);
        // max 256 / original 64 = 4: √(1 + ln 4 / ln 64) = √(4/3).
        Assert.Equal(MathF.Sqrt(4f / 3f), longRope.AttentionFactor, 6);
        Assert.Null(config.RopeScaling);
        Assert.Equal(1e-5f, config.RmsNormEps);
        Assert.False(config.AttentionBias);
    }

    [Fact]
    public void Phi3_explicit_attention_factor_and_no_scaling_are_honoured()
    {
        var json = Phi3();
        json["rope_scaling"]!["attention_factor"] = 1.5;
        Assert.Equal(1.5f, Parse(json).LongRope!.AttentionFactor);
        json.Remove("rope_scaling");
        Assert.Null(Parse(json).LongRope);
    }

    [Fact]
    public void Phi3_bad_longrope_and_rotary_settings_are_named()
    {
        var json = Phi3();
        json["rope_scaling"]!["long_factor"] = new JsonArray(1.0, 2.0);
        Assert.Contains("long_factor has 2 factors, the rotary dimension needs 6", Rejection(json));

        json = Phi3();
        json.Remove("original_max_position_embeddings");
        Assert.Contains("original_max_position_embeddings", Rejection(json));

        json = Phi3();
        json["rope_scaling"]!["type"] = "yarn";
        Assert.Contains("'yarn' is not supported for phi3", Rejection(json));

        json = Phi3();
        json["partial_rotary_factor"] = 1.5;
        Assert.Contains("partial_rotary_factor must be in (0, 1]", Rejection(json));

        json = Phi3();
        json["partial_rotary_factor"] = 0.7; // 16 × 0.7 = 11 features: odd
        Assert.Contains("must be even", Rejection(json));
    }

    [Fact]
    public void Partial_rotary_is_refused_for_families_that_do_not_have_it()
    {
        var json = Base("qwen3", "Qwen3ForCausalLM");
        json["partial_rotary_factor"] = 0.5;
        Assert.Contains("partial_rotary_factor is not supported for model_type 'qwen3'", Rejection(json));
    }

    [Fact]
    public void Gemma2_takes_its_defaults_for_caps_window_and_layer_pattern()
    {
        var json = Base("gemma2", "Gemma2ForCausalLM");
        json["head_dim"] = 16;
        var config = Parse(json);
        var g = Assert.IsType<GemmaSettings>(config.Gemma);
        Assert.Equal((50f, 30f), (g.AttentionSoftCap, g.FinalLogitSoftCap));
        Assert.Equal([true, false, true, false], g.SlidingLayers); // layer 0 slides, every other layer is global
        Assert.Equal(4096, g.SlidingWindow);
        Assert.Equal(256f, g.QueryPreAttentionScalar);
        Assert.Equal(config.RopeTheta, g.LocalRopeTheta);
        Assert.False(g.QueryKeyNorm);
        Assert.True(config.TieWordEmbeddings);
        Assert.Null(config.SlidingWindow); // Gemma windows per layer, never through the step
    }

    [Fact]
    public void Gemma3_text_reads_null_caps_as_off_and_the_five_to_one_pattern()
    {
        var json = Base("gemma3_text", "Gemma3ForCausalLM");
        json["num_hidden_layers"] = 7;
        json["final_logit_softcapping"] = null;
        json["sliding_window"] = 512;
        var g = Parse(json).Gemma!;
        Assert.Null(g.FinalLogitSoftCap);
        Assert.Null(g.AttentionSoftCap);
        Assert.Equal([true, true, true, true, true, false, true], g.SlidingLayers);
        Assert.Equal((512, 10000f), (g.SlidingWindow, g.LocalRopeTheta));
        Assert.True(g.QueryKeyNorm);
        Assert.Equal(1f, g.GlobalRopeScale);

        json["rope_scaling"] = new JsonObject { ["rope_type"] = "linear", ["factor"] = 8.0 };
        Assert.Equal(8f, Parse(json).Gemma!.GlobalRopeScale);
    }

    [Fact]
    public void Gemma3_multimodal_config_runs_its_text_config_with_transformers_defaults()
    {
        // As released Gemma 3 configs write it: most text fields left to Gemma3TextConfig's defaults.
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray("Gemma3ForConditionalGeneration"),
            ["model_type"] = "gemma3",
            ["eos_token_id"] = new JsonArray(1, 106),
            ["text_config"] = new JsonObject
            {
                ["model_type"] = "gemma3_text",
                ["hidden_size"] = 2560,
                ["intermediate_size"] = 10240,
                ["num_hidden_layers"] = 34,
                ["sliding_window"] = 1024,
            },
        };
        var config = Parse(json);
        Assert.Equal("Gemma3ForCausalLM", config.Architecture);
        Assert.Equal((2560, 34, 8, 4, 256, 262208), (config.HiddenSize, config.NumLayers, config.NumHeads, config.NumKvHeads, config.HeadDim, config.VocabSize));
        Assert.Equal(1_000_000f, config.RopeTheta);
        Assert.Equal([1, 106], config.EosTokenIds);
        Assert.Equal(34, config.Gemma!.SlidingLayers.Count);
    }

    [Fact]
    public void Gemma_bad_settings_are_named()
    {
        var json = Base("gemma2", "Gemma2ForCausalLM");
        json["hidden_activation"] = "relu";
        Assert.Contains("hidden_activation 'relu' is not supported for Gemma", Rejection(json));

        json = Base("gemma3_text", "Gemma3ForCausalLM");
        json["layer_types"] = new JsonArray("sliding_attention", "chunked_attention", "full_attention", "full_attention");
        Assert.Contains("layer_types entry 'chunked_attention' is not supported", Rejection(json));

        json = Base("gemma3_text", "Gemma3ForCausalLM");
        json["layer_types"] = new JsonArray("sliding_attention");
        Assert.Contains("layer_types has 1 entries for 4 layers", Rejection(json));

        json = Base("gemma3_text", "Gemma3ForCausalLM");
        json["rope_scaling"] = new JsonObject { ["rope_type"] = "yarn", ["factor"] = 8.0 };
        Assert.Contains("rope_scaling type 'yarn' is not supported for Gemma 3; supported: default, linear", Rejection(json));

        json = Base("gemma2", "Gemma2ForCausalLM");
        json["rope_scaling"] = new JsonObject { ["rope_type"] = "linear", ["factor"] = 8.0 };
        Assert.Contains("not supported for Gemma 2", Rejection(json));

        json = Base("gemma3_text", "Gemma3ForCausalLM");
        json["rope_scaling"] = new JsonObject { ["rope_type"] = "linear", ["factor"] = 0.0 };
        Assert.Contains("rope_scaling.factor must be a positive finite number", Rejection(json));

        var nested = new JsonObject { ["architectures"] = new JsonArray("Gemma3ForConditionalGeneration"), ["model_type"] = "gemma3" };
        Assert.Contains("needs a 'text_config' object", Rejection(nested));
    }
}
