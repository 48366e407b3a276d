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
    public void Qwen3_per_layer_sliding_window_is_rejected_by_name()
    {
        var json = Base("qwen3", "Qwen3ForCausalLM");
        json["use_sliding_window"] = true;
        Assert.Contains("use_sliding_window", Rejection(json));
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
        Assert.Contains("use_sliding_window", Rejection(json));
    }

    [Fact]
    public void Other_families_rope_every_layer()
    {
        Assert.Null(Parse(Base("qwen3", "Qwen3ForCausalLM")).RopeByLayer);
    }
}
