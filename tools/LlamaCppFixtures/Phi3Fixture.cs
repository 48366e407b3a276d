using System.Globalization;
using Transformer.Loader.Gguf;

namespace LlamaCppFixtures;

/// <summary>
/// Phi-3: fused qkv_proj and gate_up_proj (gate rows first), partial_rotary_factor 0.75 (12 of 16 features
/// rotate), LongRoPE with random per-pair factors. max_position_embeddings (256) beyond
/// original_max_position_embeddings (32) selects the long factors and an attention factor of
/// √(1 + ln 8 / ln 32) in our engine; llama.cpp selects them too because its context (64) exceeds 32, and reads
/// the attention factor from rope.scaling.attn_factor. No sliding window (llama.cpp disables Phi-3's).
/// </summary>
public sealed class Phi3Fixture : FixtureArchitecture
{
    private readonly DecoderShape _s = new() { Heads = 2, KvHeads = 1, HeadDim = 16, MaxPositions = 256 };
    private const int Original = 32;
    private const float PartialRotary = 0.75f;
    private readonly float[] _shortFactor, _longFactor;

    public Phi3Fixture()
    {
        var random = new FixtureRandom(707);
        int pairs = RotaryDim / 2;
        _shortFactor = random.Positive("short", pairs, 1f, 1.5f).Values;
        _longFactor = random.Positive("long", pairs, 1f, 8f).Values;
        var list = new List<FixtureTensor> { random.Matrix("model.embed_tokens.weight", _s.Vocab, _s.Hidden) };
        list[0] = list[0] with { Values = list[0].Values.Select(v => v * MathF.Sqrt(_s.Hidden)).ToArray() };
        for (int l = 0; l < _s.Layers; l++)
        {
            string p = $"model.layers.{l}.";
            list.Add(random.Gain(p + "input_layernorm.weight", _s.Hidden));
            list.Add(random.Matrix(p + "self_attn.qkv_proj.weight", _s.QueryWidth + 2 * _s.KvWidth, _s.Hidden));
            list.Add(random.Matrix(p + "self_attn.o_proj.weight", _s.Hidden, _s.QueryWidth));
            list.Add(random.Gain(p + "post_attention_layernorm.weight", _s.Hidden));
            list.Add(random.Matrix(p + "mlp.gate_up_proj.weight", 2 * _s.Ffn, _s.Hidden));
            list.Add(random.Matrix(p + "mlp.down_proj.weight", _s.Hidden, _s.Ffn));
        }
        list.Add(random.Gain("model.norm.weight", _s.Hidden));
        list.Add(random.Matrix("lm_head.weight", _s.Vocab, _s.Hidden));
        Tensors = list;
    }

    private int RotaryDim => (int)(_s.HeadDim * PartialRotary);
    private static float AttentionFactor(int max) => (float)Math.Sqrt(1 + Math.Log((double)max / Original) / Math.Log(Original));

    public override string Name => "phi3";
    public override string GgufArchitecture => "phi3";
    public override int VocabSize => _s.Vocab;
    public override IReadOnlyList<FixtureTensor> Tensors { get; }

    private static string List(float[] values) => string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

    public override string ConfigJson => string.Create(CultureInfo.InvariantCulture, $$"""
        {
          "architectures": ["Phi3ForCausalLM"],
          "model_type": "phi3",
          "hidden_size": {{_s.Hidden}},
          "intermediate_size": {{_s.Ffn}},
          "num_hidden_layers": {{_s.Layers}},
          "num_attention_heads": {{_s.Heads}},
          "num_key_value_heads": {{_s.KvHeads}},
          "vocab_size": {{_s.Vocab}},
          "max_position_embeddings": {{_s.MaxPositions}},
          "original_max_position_embeddings": {{Original}},
          "partial_rotary_factor": {{PartialRotary:R}},
          "rms_norm_eps": {{_s.RmsEps:R}},
          "rope_theta": {{_s.RopeTheta:R}},
          "rope_scaling": {
            "type": "longrope",
            "short_factor": [{{List(_shortFactor)}}],
            "long_factor": [{{List(_longFactor)}}]
          },
          "sliding_window": null,
          "hidden_act": "silu",
          "tie_word_embeddings": false
        }
        """);

    public override void AddMetadata(GgufWriter gguf)
    {
        Common.AddLlamaKeys(gguf, "phi3", _s, RotaryDim);
        gguf.Add("phi3.rope.scaling.original_context_length", (uint)Original);
        gguf.Add("phi3.rope.scaling.attn_factor", AttentionFactor(_s.MaxPositions));
    }

    public override IEnumerable<(string Name, long[] Dimensions, float[] Values)> GgufTensors()
    {
        foreach (var t in Tensors)
        {
            string name = GgufName(t.Name, part => part switch
            {
                "self_attn.qkv_proj.weight" => "attn_qkv.weight",
                "mlp.gate_up_proj.weight" => "ffn_up.weight", // llama.cpp's phi3 takes the fused [gate | up] as ffn_up
                _ => null,
            });
            yield return (name, Dimensions(t), t.Values);
        }
        yield return ("rope_factors_long.weight", [_longFactor.Length], _longFactor);
        yield return ("rope_factors_short.weight", [_shortFactor.Length], _shortFactor);
    }
}
