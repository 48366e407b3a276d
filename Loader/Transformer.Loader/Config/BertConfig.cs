namespace Transformer.Loader.Config;

/// <summary>
/// The shape of a BERT encoder (Devlin et al., 2018) as a Hugging Face <c>config.json</c> of model_type <c>bert</c>
/// describes it: learned absolute positions, token types, post-norm layers with erf GELU. Read by
/// <see cref="BertConfigReader"/>; field names in messages are the config.json ones.
/// </summary>
public sealed record BertConfig
{
    /// <summary>Architecture as in config.json (e.g. <c>BertModel</c>).</summary>
    public required string Architecture { get; init; }
    /// <summary>Width of the residual stream.</summary>
    public required int HiddenSize { get; init; }
    /// <summary>Width of the MLP's hidden layer.</summary>
    public required int IntermediateSize { get; init; }
    /// <summary>Encoder layers.</summary>
    public required int NumLayers { get; init; }
    /// <summary>Attention heads.</summary>
    public required int NumHeads { get; init; }
    /// <summary>Vocabulary size.</summary>
    public required int VocabSize { get; init; }
    /// <summary>Rows of the position embedding: the longest input.</summary>
    public required int MaxPositions { get; init; }
    /// <summary>Rows of the token-type (segment) embedding.</summary>
    public int TypeVocabSize { get; init; } = 2;
    /// <summary>LayerNorm epsilon.</summary>
    public float LayerNormEps { get; init; } = 1e-12f;
    /// <summary>Padding token, when the vocabulary has one.</summary>
    public int? PadTokenId { get; init; }

    /// <summary>Features per head.</summary>
    public int HeadDim => HiddenSize / NumHeads;

    /// <summary>Throws <see cref="ModelFormatException"/> naming <paramref name="source"/> and the field when the sizes cannot describe a model.</summary>
    public void Validate(string source)
    {
        RequirePositive(source, "hidden_size", HiddenSize);
        RequirePositive(source, "intermediate_size", IntermediateSize);
        RequirePositive(source, "num_hidden_layers", NumLayers);
        RequirePositive(source, "num_attention_heads", NumHeads);
        RequirePositive(source, "vocab_size", VocabSize);
        RequirePositive(source, "max_position_embeddings", MaxPositions);
        RequirePositive(source, "type_vocab_size", TypeVocabSize);
        if (HiddenSize % NumHeads != 0)
            throw new ModelFormatException($"{source}: hidden_size ({HiddenSize}) is not divisible by num_attention_heads ({NumHeads})");
        if (!(LayerNormEps > 0) || !float.IsFinite(LayerNormEps))
            throw new ModelFormatException($"{source}: layer_norm_eps must be a positive finite number, got {LayerNormEps}");
        if (PadTokenId is { } pad && (pad < 0 || pad >= VocabSize))
            throw new ModelFormatException($"{source}: pad_token_id {pad} is outside the vocabulary of {VocabSize}");
    }

    private static void RequirePositive(string source, string field, int value)
    {
        if (value <= 0) throw new ModelFormatException($"{source}: {field} must be positive, got {value}");
    }
}
