namespace Transformer.Loader.Config;

/// <summary>
/// The shape of a nomic-bert encoder (model_type <c>nomic_bert</c>: nomic-embed-text-v1 and v1.5) as its config.json
/// describes it, in that file's GPT-2-style names (n_embd, n_head, n_inner, n_layer, n_positions): rotary positions
/// instead of a position table, a fused bias-free Wqkv, a SwiGLU MLP, post-norm LayerNorms. Read by
/// <see cref="NomicBertConfigReader"/>.
/// </summary>
public sealed record NomicBertConfig : EncoderConfig
{
    /// <summary>RoPE base (<c>rotary_emb_base</c>).</summary>
    public float RotaryBase { get; init; } = 10000f;

    /// <summary>Share of each head's features that rotate (<c>rotary_emb_fraction</c>).</summary>
    public float RotaryFraction { get; init; } = 1f;

    /// <summary>Features of each head that rotate: an even count.</summary>
    public int RotaryDim => (int)(HeadDim * RotaryFraction) & ~1;

    /// <summary>Throws <see cref="ModelFormatException"/> naming <paramref name="source"/> and the field when the values cannot describe a model.</summary>
    public void Validate(string source)
    {
        ValidateShape(source, new("n_embd", "n_inner", "n_layer", "n_head", "n_positions", "layer_norm_epsilon"));
        if (!(RotaryBase > 0) || !float.IsFinite(RotaryBase))
            throw new ModelFormatException($"{source}: rotary_emb_base must be a positive finite number, got {RotaryBase}");
        if (!(RotaryFraction > 0 && RotaryFraction <= 1) || RotaryDim < 2)
            throw new ModelFormatException($"{source}: rotary_emb_fraction must be in (0, 1] and rotate at least one pair of the {HeadDim} features per head, got {RotaryFraction}");
    }
}
