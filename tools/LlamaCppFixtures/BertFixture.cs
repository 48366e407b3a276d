using System.Text.Json;
using Transformer.Loader;
using Transformer.Loader.Gguf;

namespace LlamaCppFixtures;

/// <summary>
/// BERT (model_type bert): learned positions, token types, q/k/v with biases, post-norm LayerNorms, erf GELU.
/// llama.cpp's names: token_embd, position_embd, token_types, token_embd_norm; per layer attn_q/k/v, attn_output,
/// attn_output_norm, ffn_up, ffn_down, layer_output_norm.
/// </summary>
public sealed class BertFixture : EncoderFixture
{
    public override string Name => "bert";
    public override string GgufArchitecture => "bert";

    public override void AddMetadata(GgufWriter gguf, JsonElement c) =>
        AddEncoderKeys(gguf, c.GetProperty("vocab_size").GetInt32(), c.GetProperty("max_position_embeddings").GetInt32(),
            c.GetProperty("hidden_size").GetInt32(), c.GetProperty("num_hidden_layers").GetInt32(), c.GetProperty("intermediate_size").GetInt32(),
            c.GetProperty("num_attention_heads").GetInt32(), c.GetProperty("layer_norm_eps").GetSingle(), c.GetProperty("type_vocab_size").GetInt32());

    public override IEnumerable<(string Name, long[] Dimensions, float[] Values)> GgufTensors(IWeightSource w, JsonElement c)
    {
        yield return Renamed(w, "embeddings.word_embeddings.weight", "token_embd.weight");
        yield return Renamed(w, "embeddings.position_embeddings.weight", "position_embd.weight");
        yield return Renamed(w, "embeddings.token_type_embeddings.weight", "token_types.weight");
        yield return Renamed(w, "embeddings.LayerNorm.weight", "token_embd_norm.weight");
        yield return Renamed(w, "embeddings.LayerNorm.bias", "token_embd_norm.bias");
        int layers = c.GetProperty("num_hidden_layers").GetInt32();
        for (int l = 0; l < layers; l++)
        {
            string p = $"encoder.layer.{l}.", g = $"blk.{l}.";
            foreach (var (hf, gguf) in new[]
            {
                ("attention.self.query", "attn_q"), ("attention.self.key", "attn_k"), ("attention.self.value", "attn_v"),
                ("attention.output.dense", "attn_output"), ("attention.output.LayerNorm", "attn_output_norm"),
                ("intermediate.dense", "ffn_up"), ("output.dense", "ffn_down"), ("output.LayerNorm", "layer_output_norm"),
            })
            {
                yield return Renamed(w, p + hf + ".weight", g + gguf + ".weight");
                yield return Renamed(w, p + hf + ".bias", g + gguf + ".bias");
            }
        }
    }
}
