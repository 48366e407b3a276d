namespace LlamaCppFixtures;

/// <summary>The tiny decoder shape every fixture shares: small enough to commit, big enough for GQA and several RoPE pairs.</summary>
public sealed record DecoderShape
{
    public int Hidden { get; init; } = 32;
    public int Heads { get; init; } = 4;
    public int KvHeads { get; init; } = 2;
    public int HeadDim { get; init; } = 16;
    public int Ffn { get; init; } = 48;
    public int Layers { get; init; } = 2;
    public int Vocab { get; init; } = 64;
    public int MaxPositions { get; init; } = 128;
    public float RopeTheta { get; init; } = 10000f;
    public float RmsEps { get; init; } = 1e-6f;

    public int QueryWidth => Heads * HeadDim;
    public int KvWidth => KvHeads * HeadDim;

    /// <summary>
    /// The Llama layout's tensors with random values: embedding, per layer the two norms, q/k/v/o and the
    /// SwiGLU MLP, the final norm, and lm_head unless tied. <paramref name="perLayer"/> adds a family's own.
    /// </summary>
    public List<FixtureTensor> LlamaTensors(FixtureRandom random, bool tied, Action<int, string, List<FixtureTensor>>? perLayer = null)
    {
        var list = new List<FixtureTensor> { random.Matrix("model.embed_tokens.weight", Vocab, Hidden) };
        // Embedding rows in ±1/√hidden would make the first norm amplify noise; a trained table is near unit scale.
        list[0] = list[0] with { Values = list[0].Values.Select(v => v * MathF.Sqrt(Hidden)).ToArray() };
        for (int l = 0; l < Layers; l++)
        {
            string p = $"model.layers.{l}.";
            list.Add(random.Gain(p + "input_layernorm.weight", Hidden));
            list.Add(random.Matrix(p + "self_attn.q_proj.weight", QueryWidth, Hidden));
            list.Add(random.Matrix(p + "self_attn.k_proj.weight", KvWidth, Hidden));
            list.Add(random.Matrix(p + "self_attn.v_proj.weight", KvWidth, Hidden));
            list.Add(random.Matrix(p + "self_attn.o_proj.weight", Hidden, QueryWidth));
            perLayer?.Invoke(l, p, list);
            list.Add(random.Gain(p + "post_attention_layernorm.weight", Hidden));
            list.Add(random.Matrix(p + "mlp.gate_proj.weight", Ffn, Hidden));
            list.Add(random.Matrix(p + "mlp.up_proj.weight", Ffn, Hidden));
            list.Add(random.Matrix(p + "mlp.down_proj.weight", Hidden, Ffn));
        }
        list.Add(random.Gain("model.norm.weight", Hidden));
        if (!tied) list.Add(random.Matrix("lm_head.weight", Vocab, Hidden));
        return list;
    }
}
