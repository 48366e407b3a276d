using System.Globalization;
using Transformer.Loader.Gguf;

namespace LlamaCppFixtures;

/// <summary>
/// Gemma 2 and Gemma 3 text models. Conventions of llama.cpp's converter followed here: norm weights are stored
/// with the 1 of x̂·(1 + w) already added; q/k rotate halves (no permutation). llama.cpp picks the attention
/// scale by model size rather than from query_pre_attn_scalar, so the fixtures set it to head_dim. Its sliding
/// pattern is fixed per architecture (every 2nd layer global in gemma2, every 6th in gemma3), which the layer
/// counts and the configs' defaults match. A window of 4 over 12 tokens makes the local layers matter.
/// </summary>
public sealed class GemmaFixture : FixtureArchitecture
{
    private readonly DecoderShape _s;
    private readonly bool _gemma3;
    private const int Window = 4;
    private const float AttentionCap = 3f, FinalCap = 4f; // small, so that capping changes the result (Gemma 2)
    private const float LocalTheta = 10000f;
    private const float GlobalRopeScale = 8f; // Gemma 3 4B and larger stretch their global layers' positions by 8

    private GemmaFixture(bool gemma3)
    {
        _gemma3 = gemma3;
        _s = gemma3
            ? new DecoderShape { Hidden = 16, Heads = 2, KvHeads = 1, HeadDim = 8, Ffn = 32, Layers = 6, RopeTheta = 1_000_000f }
            : new DecoderShape { Heads = 2, KvHeads = 1, HeadDim = 16, Layers = 2 };
        var random = new FixtureRandom(gemma3 ? 909 : 808);
        // Trained Gemma norm weights sit around 0 (the gain is 1 + w).
        FixtureTensor Norm(string name, int length) => random.Gain(name, length, center: 0f);
        var list = new List<FixtureTensor> { random.Matrix("model.embed_tokens.weight", _s.Vocab, _s.Hidden) };
        for (int l = 0; l < _s.Layers; l++)
        {
            string p = $"model.layers.{l}.";
            list.Add(Norm(p + "input_layernorm.weight", _s.Hidden));
            list.Add(random.Matrix(p + "self_attn.q_proj.weight", _s.QueryWidth, _s.Hidden));
            list.Add(random.Matrix(p + "self_attn.k_proj.weight", _s.KvWidth, _s.Hidden));
            list.Add(random.Matrix(p + "self_attn.v_proj.weight", _s.KvWidth, _s.Hidden));
            list.Add(random.Matrix(p + "self_attn.o_proj.weight", _s.Hidden, _s.QueryWidth));
            if (gemma3)
            {
                list.Add(Norm(p + "self_attn.q_norm.weight", _s.HeadDim));
                list.Add(Norm(p + "self_attn.k_norm.weight", _s.HeadDim));
            }
            list.Add(Norm(p + "post_attention_layernorm.weight", _s.Hidden));
            list.Add(Norm(p + "pre_feedforward_layernorm.weight", _s.Hidden));
            list.Add(random.Matrix(p + "mlp.gate_proj.weight", _s.Ffn, _s.Hidden));
            list.Add(random.Matrix(p + "mlp.up_proj.weight", _s.Ffn, _s.Hidden));
            list.Add(random.Matrix(p + "mlp.down_proj.weight", _s.Hidden, _s.Ffn));
            list.Add(Norm(p + "post_feedforward_layernorm.weight", _s.Hidden));
        }
        list.Add(Norm("model.norm.weight", _s.Hidden));
        Tensors = list;
    }

    public static GemmaFixture Gemma2() => new(gemma3: false);
    public static GemmaFixture Gemma3() => new(gemma3: true);

    public override string Name => _gemma3 ? "gemma3" : "gemma2";
    public override string GgufArchitecture => Name;
    public override int VocabSize => _s.Vocab;
    public override IReadOnlyList<FixtureTensor> Tensors { get; }

    public override string ConfigJson => _gemma3
        ? string.Create(CultureInfo.InvariantCulture, $$"""
        {
          "architectures": ["Gemma3ForCausalLM"],
          "model_type": "gemma3_text",
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
          "rope_local_base_freq": {{LocalTheta:R}},
          "rope_scaling": { "rope_type": "linear", "factor": {{GlobalRopeScale:R}} },
          "sliding_window": {{Window}},
          "sliding_window_pattern": 6,
          "query_pre_attn_scalar": {{_s.HeadDim}},
          "final_logit_softcapping": null,
          "attn_logit_softcapping": null,
          "hidden_activation": "gelu_pytorch_tanh",
          "tie_word_embeddings": true
        }
        """)
        : string.Create(CultureInfo.InvariantCulture, $$"""
        {
          "architectures": ["Gemma2ForCausalLM"],
          "model_type": "gemma2",
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
          "sliding_window": {{Window}},
          "query_pre_attn_scalar": {{_s.HeadDim}},
          "attn_logit_softcapping": {{AttentionCap:R}},
          "final_logit_softcapping": {{FinalCap:R}},
          "hidden_activation": "gelu_pytorch_tanh",
          "tie_word_embeddings": true
        }
        """);

    public override void AddMetadata(GgufWriter gguf)
    {
        Common.AddLlamaKeys(gguf, Name, _s);
        gguf.Add($"{Name}.attention.sliding_window", (uint)Window);
        if (_gemma3)
        {
            gguf.Add("gemma3.rope.scaling.type", "linear");
            gguf.Add("gemma3.rope.scaling.factor", GlobalRopeScale);
        }
        else
        {
            gguf.Add("gemma2.attn_logit_softcapping", AttentionCap);
            gguf.Add("gemma2.final_logit_softcapping", FinalCap);
        }
    }

    public override IEnumerable<(string Name, long[] Dimensions, float[] Values)> GgufTensors()
    {
        foreach (var t in Tensors)
        {
            string name = GgufName(t.Name, part => part switch
            {
                "self_attn.q_norm.weight" => "attn_q_norm.weight",
                "self_attn.k_norm.weight" => "attn_k_norm.weight",
                "pre_feedforward_layernorm.weight" => "ffn_norm.weight",
                "post_feedforward_layernorm.weight" => "post_ffw_norm.weight",
                _ => null,
            });
            // input_layernorm maps to attn_norm; Gemma's post_attention_layernorm is llama.cpp's post_attention_norm,
            // not ffn_norm as in the Llama layout.
            if (t.Name.EndsWith("post_attention_layernorm.weight", StringComparison.Ordinal))
                name = name.Replace("ffn_norm.weight", "post_attention_norm.weight", StringComparison.Ordinal);
            float[] values = t.Name.Contains("norm", StringComparison.Ordinal) ? t.Values.Select(v => v + 1f).ToArray() : t.Values;
            yield return (name, Dimensions(t), values);
        }
    }
}
