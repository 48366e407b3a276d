using Transformer.Kernels.Tensors;
using Transformer.Loader.Config;
using Transformer.Runtime.Pruning;

namespace Transformer.Runtime.Distillation;

/// <summary>
/// A freshly initialised Llama-family student as Hugging Face's <c>_init_weights</c> makes one: every linear and
/// the embedding drawn from N(0, std²) with std = initializer_range (0.02), RMSNorm gains 1, biases 0. Seeded and
/// counter-based (value i of tensor t depends only on the seed, t and i), so the same seed gives the same weights on
/// every machine and thread count.
/// </summary>
public static class RandomInit
{
    /// <summary>Hugging Face's default initializer_range.</summary>
    public const double DefaultStd = 0.02;

    private const int ChunkPairs = 1 << 15;

    /// <summary>The tensors of <paramref name="config"/>, under the names <see cref="ModelPruner"/> writes.</summary>
    /// <exception cref="NotSupportedException">The architecture is not of the Llama family.</exception>
    public static IReadOnlyList<HostTensor> Create(ModelConfig config, ulong seed, double std = DefaultStd)
    {
        ArgumentNullException.ThrowIfNull(config);
        ModelPruner.CheckSupported(config);
        if (!(std > 0)) throw new ArgumentException($"the initializer std must be positive, got {std}", nameof(std));
        int hidden = config.HiddenSize, ffn = config.IntermediateSize, q = config.QueryWidth, kv = config.KvWidth;
        var tensors = new List<HostTensor>();
        void Normal(string name, int rows, int columns) => tensors.Add(HostTensor.FromFloats(name, Draw(seed, (ulong)tensors.Count, (long)rows * columns, std), rows, columns));
        void Fill(string name, int length, float value) => tensors.Add(HostTensor.FromFloats(name, Enumerable.Repeat(value, length).ToArray(), length));

        Normal("model.embed_tokens.weight", config.VocabSize, hidden);
        for (int i = 0; i < config.NumLayers; i++)
        {
            string p = $"model.layers.{i}.";
            Fill(p + "input_layernorm.weight", hidden, 1f);
            Normal(p + "self_attn.q_proj.weight", q, hidden);
            Normal(p + "self_attn.k_proj.weight", kv, hidden);
            Normal(p + "self_attn.v_proj.weight", kv, hidden);
            Normal(p + "self_attn.o_proj.weight", hidden, q);
            if (config.AttentionBias)
            {
                Fill(p + "self_attn.q_proj.bias", q, 0f);
                Fill(p + "self_attn.k_proj.bias", kv, 0f);
                Fill(p + "self_attn.v_proj.bias", kv, 0f);
            }
            if (config.OutputProjectionBias) Fill(p + "self_attn.o_proj.bias", hidden, 0f);
            Fill(p + "post_attention_layernorm.weight", hidden, 1f);
            Normal(p + "mlp.gate_proj.weight", ffn, hidden);
            Normal(p + "mlp.up_proj.weight", ffn, hidden);
            Normal(p + "mlp.down_proj.weight", hidden, ffn);
            if (config.MlpBias)
            {
                Fill(p + "mlp.gate_proj.bias", ffn, 0f);
                Fill(p + "mlp.up_proj.bias", ffn, 0f);
                Fill(p + "mlp.down_proj.bias", hidden, 0f);
            }
        }
        Fill("model.norm.weight", hidden, 1f);
        if (!config.TieWordEmbeddings) Normal("lm_head.weight", config.VocabSize, hidden);
        return tensors;
    }

    // Box–Muller on pairs of uniforms from SplitMix64 of (seed, tensor, index): chunks fill in parallel, in any order.
    private static float[] Draw(ulong seed, ulong tensor, long count, double std)
    {
        var values = new float[count];
        long pairs = (count + 1) / 2;
        ulong key = Mix(seed ^ Mix(tensor + 0x9E3779B97F4A7C15UL));
        Parallel.For(0, (pairs + ChunkPairs - 1) / ChunkPairs, chunk =>
        {
            long end = Math.Min(pairs, (chunk + 1) * ChunkPairs);
            for (long pair = chunk * ChunkPairs; pair < end; pair++)
            {
                // (0, 1]: the logarithm stays finite.
                double u1 = ((Mix(key + 2 * (ulong)pair) >> 11) + 1) * (1.0 / (1UL << 53));
                double u2 = (Mix(key + 2 * (ulong)pair + 1) >> 11) * (1.0 / (1UL << 53));
                double radius = std * Math.Sqrt(-2 * Math.Log(u1)), angle = 2 * Math.PI * u2;
                values[2 * pair] = (float)(radius * Math.Cos(angle));
                if (2 * pair + 1 < count) values[2 * pair + 1] = (float)(radius * Math.Sin(angle));
            }
        });
        return values;
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
