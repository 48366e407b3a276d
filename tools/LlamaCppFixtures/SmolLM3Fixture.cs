using System.Globalization;
using Transformer.Loader.Gguf;

namespace LlamaCppFixtures;

/// <summary>
/// SmolLM3: the Llama layout with NoPE layers. llama.cpp hard-codes a NoPE layer every 4 (no GGUF key), so the
/// fixture has 4 layers and leaves no_rope_layers to its default interval of 4: layer 3 runs without RoPE.
/// llama.cpp's smollm3 rotates adjacent pairs, so q/k rows are permuted as for llama.
/// </summary>
public sealed class SmolLM3Fixture : FixtureArchitecture
{
    // Narrower than the other fixtures so four layers stay about as small as their two.
    private readonly DecoderShape _s = new() { Hidden = 16, Heads = 2, KvHeads = 1, HeadDim = 8, Ffn = 32, Layers = 4 };

    public SmolLM3Fixture() => Tensors = _s.LlamaTensors(new FixtureRandom(505), tied: true);

    public override string Name => "smollm3";
    public override string GgufArchitecture => "smollm3";
    public override int VocabSize => _s.Vocab;
    public override IReadOnlyList<FixtureTensor> Tensors { get; }

    public override string ConfigJson => string.Create(CultureInfo.InvariantCulture, $$"""
        {
          "architectures": ["SmolLM3ForCausalLM"],
          "model_type": "smollm3",
          "hidden_size": {{_s.Hidden}},
          "intermediate_size": {{_s.Ffn}},
          "num_hidden_layers": {{_s.Layers}},
          "num_attention_heads": {{_s.Heads}},
          "num_key_value_heads": {{_s.KvHeads}},
          "vocab_size": {{_s.Vocab}},
          "max_position_embeddings": {{_s.MaxPositions}},
          "rms_norm_eps": {{_s.RmsEps:R}},
          "rope_theta": {{_s.RopeTheta:R}},
          "hidden_act": "silu",
          "no_rope_layer_interval": 4,
          "use_sliding_window": false,
          "tie_word_embeddings": true
        }
        """);

    public override void AddMetadata(GgufWriter gguf) => Common.AddLlamaKeys(gguf, "smollm3", _s);

    public override IEnumerable<(string Name, long[] Dimensions, float[] Values)> GgufTensors()
    {
        foreach (var t in Tensors)
        {
            float[] values = t.Name.EndsWith("q_proj.weight", StringComparison.Ordinal) ? InterleaveRopePairs(t, _s.Heads, _s.HeadDim)
                : t.Name.EndsWith("k_proj.weight", StringComparison.Ordinal) ? InterleaveRopePairs(t, _s.KvHeads, _s.HeadDim)
                : t.Values;
            yield return (GgufName(t.Name), Dimensions(t), values);
        }
    }
}
