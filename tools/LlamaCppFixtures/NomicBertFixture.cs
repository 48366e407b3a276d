using System.Text.Json;
using Transformer.Loader;
using Transformer.Loader.Gguf;

namespace LlamaCppFixtures;

/// <summary>
/// nomic-bert (model_type nomic_bert, nomic-embed-text-v1/v1.5): token types but no position table (rotary instead,
/// rotating halves, as llama.cpp's nomic-bert does), a fused bias-free Wqkv, post-norm LayerNorms, SwiGLU MLP
/// fc2(fc11(x) · silu(fc12(x))). llama.cpp's names: attn_qkv, attn_output, attn_output_norm, ffn_up (fc11),
/// ffn_gate (fc12), ffn_down (fc2), layer_output_norm.
/// </summary>
public sealed class NomicBertFixture : EncoderFixture
{
    public override string Name => "nomic-bert";
    public override string GgufArchitecture => "nomic-bert";

    public override void AddMetadata(GgufWriter gguf, JsonElement c)
    {
        AddEncoderKeys(gguf, c.GetProperty("vocab_size").GetInt32(), c.GetProperty("n_positions").GetInt32(),
            c.GetProperty("n_embd").GetInt32(), c.GetProperty("n_layer").GetInt32(), c.GetProperty("n_inner").GetInt32(),
            c.GetProperty("n_head").GetInt32(), c.GetProperty("layer_norm_epsilon").GetSingle(), c.GetProperty("type_vocab_size").GetInt32());
        gguf.Add($"{GgufArchitecture}.rope.freq_base", c.GetProperty("rotary_emb_base").GetSingle());
    }

    public override IEnumerable<(string Name, long[] Dimensions, float[] Values)> GgufTensors(IWeightSource w, JsonElement c)
    {
        yield return Renamed(w, "embeddings.word_embeddings.weight", "token_embd.weight");
        yield return Renamed(w, "embeddings.token_type_embeddings.weight", "token_types.weight");
        yield return Renamed(w, "emb_ln.weight", "token_embd_norm.weight");
        yield return Renamed(w, "emb_ln.bias", "token_embd_norm.bias");
        int layers = c.GetProperty("n_layer").GetInt32();
        for (int l = 0; l < layers; l++)
        {
            string p = $"encoder.layers.{l}.", g = $"blk.{l}.";
            yield return Renamed(w, p + "attn.Wqkv.weight", g + "attn_qkv.weight");
            yield return Renamed(w, p + "attn.out_proj.weight", g + "attn_output.weight");
            yield return Renamed(w, p + "norm1.weight", g + "attn_output_norm.weight");
            yield return Renamed(w, p + "norm1.bias", g + "attn_output_norm.bias");
            yield return Renamed(w, p + "mlp.fc11.weight", g + "ffn_up.weight");
            yield return Renamed(w, p + "mlp.fc12.weight", g + "ffn_gate.weight");
            yield return Renamed(w, p + "mlp.fc2.weight", g + "ffn_down.weight");
            yield return Renamed(w, p + "norm2.weight", g + "layer_output_norm.weight");
            yield return Renamed(w, p + "norm2.bias", g + "layer_output_norm.bias");
        }
    }
}
