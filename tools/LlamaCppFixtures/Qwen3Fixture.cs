using System.Globalization;
using Transformer.Loader.Gguf;

namespace LlamaCppFixtures;

/// <summary>
/// Qwen3: the Llama layout plus per-head q_norm/k_norm, head_dim independent of hidden/heads (4 × 16 ≠ 32),
/// tied embeddings. llama.cpp's qwen3 rotates halves as Hugging Face does, so q/k need no permutation.
/// </summary>
public sealed class Qwen3Fixture : FixtureArchitecture
{
    private readonly DecoderShape _s = new();

    public Qwen3Fixture()
    {
        var random = new FixtureRandom(303);
        Tensors = _s.LlamaTensors(random, tied: true, (_, p, list) =>
        {
            list.Add(random.Gain(p + "self_attn.q_norm.weight", _s.HeadDim));
            list.Add(random.Gain(p + "self_attn.k_norm.weight", _s.HeadDim));
        });
    }

    public override string Name => "qwen3";
    public override string GgufArchitecture => "qwen3";
    public override int VocabSize => _s.Vocab;
    public override IReadOnlyList<FixtureTensor> Tensors { get; }

    public override string ConfigJson => string.Create(CultureInfo.InvariantCulture, $$"""
        {
          "architectures": ["Qwen3ForCausalLM"],
          "model_type": "qwen3",
          "hidden_size": {{_s.Hidden}},
          "intermediate_size": {{_s.Ffn}},
          "num_hidden_layers": {{_s.Layers}},
          "num_attention_heads": {{_s.Heads}},
          "num_key_value_heads": {{_s.KvHeads}},
          "head_dim": {{_s.HeadDim}},
          "vocab_size": {{_s.Vocab}},
          "max_position_embeddings": {{_s.MaxPositions}},
          "rms_norm_eps": {{_s.RmsEps:R}},
          "rope_theta": {{_s.RopeTheta:R}},
          "hidden_act": "silu",
          "attention_bias": false,
          "use_sliding_window": false,
          "tie_word_embeddings": true
        }
        """);

    public override void AddMetadata(GgufWriter gguf) => Common.AddLlamaKeys(gguf, "qwen3", _s);

    public override IEnumerable<(string Name, long[] Dimensions, float[] Values)> GgufTensors() =>
        Tensors.Select(t => (GgufName(t.Name, part => part switch
        {
            "self_attn.q_norm.weight" => "attn_q_norm.weight",
            "self_attn.k_norm.weight" => "attn_k_norm.weight",
            _ => null,
        }), Dimensions(t), t.Values));
}
