using Transformer.Loader.Config;

namespace Transformer.Loader.Tests;

/// <summary>config.json of model_type bert: transformers' defaults, and clear errors for what the encoder does not run.</summary>
public sealed class BertConfigTests
{
    private const string MiniLm = """
        {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": 384, "intermediate_size": 1536,
         "num_hidden_layers": 6, "num_attention_heads": 12, "vocab_size": 30522, "max_position_embeddings": 512,
         "hidden_act": "gelu", "layer_norm_eps": 1e-12, "type_vocab_size": 2, "pad_token_id": 0}
        """;

    [Fact]
    public void Reads_an_all_MiniLM_L6_v2_config()
    {
        var c = BertConfigReader.Parse(MiniLm, "config.json");
        Assert.Equal((384, 1536, 6, 12, 32, 30522, 512, 2), (c.HiddenSize, c.IntermediateSize, c.NumLayers, c.NumHeads, c.HeadDim, c.VocabSize, c.MaxPositions, c.TypeVocabSize));
        Assert.Equal(1e-12f, c.LayerNormEps);
        Assert.Equal("BertModel", c.Architecture);
    }

    [Fact]
    public void Defaults_follow_transformers()
    {
        var c = BertConfigReader.Parse("""{"model_type": "bert", "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 10}""", "c");
        Assert.Equal((512, 2, 1e-12f), (c.MaxPositions, c.TypeVocabSize, c.LayerNormEps));
    }

    [Theory]
    [InlineData("\"hidden_act\": \"relu\"", "hidden_act 'relu' is not supported")]
    [InlineData("\"position_embedding_type\": \"relative_key\"", "position_embedding_type 'relative_key' is not supported")]
    [InlineData("\"num_attention_heads\": 5", "not divisible by num_attention_heads (5)")]
    [InlineData("\"pad_token_id\": 40000", "pad_token_id 40000 is outside the vocabulary")]
    public void Refuses_what_it_cannot_run(string field, string message)
    {
        string json = MiniLm.Replace("\"type_vocab_size\": 2", field + ", \"type_vocab_size\": 2");
        if (field.StartsWith("\"hidden_act\"")) json = json.Replace("\"hidden_act\": \"gelu\",", "");
        if (field.StartsWith("\"num_attention_heads\"")) json = json.Replace("\"num_attention_heads\": 12,", "");
        if (field.StartsWith("\"pad_token_id\"")) json = json.Replace(", \"pad_token_id\": 0", "");
        Assert.Contains(message, Assert.Throws<ModelFormatException>(() => BertConfigReader.Parse(json, "config.json")).Message);
    }

    [Fact]
    public void The_decoder_config_reader_points_an_encoder_to_the_embedding_api()
    {
        var error = Assert.Throws<ModelFormatException>(() => HuggingFaceConfig.Parse(MiniLm, "config.json"));
        Assert.Contains("is an encoder that computes embeddings", error.Message);
    }
}
