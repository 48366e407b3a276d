using System.Globalization;
using Transformer.Loader.Gguf;

namespace LlamaCppFixtures;

/// <summary>
/// Plain Llama (untied lm_head): the tool's own check that its GGUF conventions (names, dimension order,
/// the rotate-half to adjacent-pairs permutation of q/k) are what llama.cpp expects.
/// </summary>
public sealed class LlamaFixture : FixtureArchitecture
{
    private readonly DecoderShape _s = new();

    public LlamaFixture() => Tensors = _s.LlamaTensors(new FixtureRandom(101), tied: false);

    public override string Name => "llama";
    public override string GgufArchitecture => "llama";
    public override int VocabSize => _s.Vocab;
    public override IReadOnlyList<FixtureTensor> Tensors { get; }

    public override string ConfigJson => string.Create(CultureInfo.InvariantCulture, $$"""
        {
          "architectures": ["LlamaForCausalLM"],
          "model_type": "llama",
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
          "tie_word_embeddings": false
        }
        """);

    public override void AddMetadata(GgufWriter gguf) => Common.AddLlamaKeys(gguf, "llama", _s);

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

/// <summary>Metadata keys every Llama-like llama.cpp architecture reads.</summary>
internal static class Common
{
    public static void AddLlamaKeys(GgufWriter gguf, string arch, DecoderShape s, int? rotaryDim = null)
    {
        gguf.Add($"{arch}.vocab_size", (uint)s.Vocab);
        gguf.Add($"{arch}.context_length", (uint)s.MaxPositions);
        gguf.Add($"{arch}.embedding_length", (uint)s.Hidden);
        gguf.Add($"{arch}.block_count", (uint)s.Layers);
        gguf.Add($"{arch}.feed_forward_length", (uint)s.Ffn);
        gguf.Add($"{arch}.attention.head_count", (uint)s.Heads);
        gguf.Add($"{arch}.attention.head_count_kv", (uint)s.KvHeads);
        gguf.Add($"{arch}.attention.key_length", (uint)s.HeadDim);
        gguf.Add($"{arch}.attention.value_length", (uint)s.HeadDim);
        gguf.Add($"{arch}.attention.layer_norm_rms_epsilon", s.RmsEps);
        gguf.Add($"{arch}.rope.dimension_count", (uint)(rotaryDim ?? s.HeadDim));
        gguf.Add($"{arch}.rope.freq_base", s.RopeTheta);
    }
}
