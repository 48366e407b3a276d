namespace Transformer.Loader.Config;

/// <summary>
/// What every encoder of the BERT lineage has, whatever its config.json calls it: a residual width, an MLP width,
/// layers of bidirectional multi-head attention, a vocabulary with token types, a longest input and LayerNorm's
/// epsilon. <see cref="BertConfig"/> and <see cref="NomicBertConfig"/> add their own; <see cref="EncoderConfigReader"/>
/// picks the one a config.json describes.
/// </summary>
public abstract record EncoderConfig
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
    /// <summary>The longest input, in tokens.</summary>
    public required int MaxPositions { get; init; }
    /// <summary>Rows of the token-type (segment) embedding.</summary>
    public int TypeVocabSize { get; init; } = 2;
    /// <summary>LayerNorm epsilon.</summary>
    public float LayerNormEps { get; init; } = 1e-12f;

    /// <summary>Features per head.</summary>
    public int HeadDim => HiddenSize / NumHeads;

    /// <summary>The config.json names of the shared fields, for messages (they differ between families).</summary>
    protected sealed record FieldNames(string Hidden, string Intermediate, string Layers, string Heads, string Positions, string Epsilon);

    /// <summary>Throws <see cref="ModelFormatException"/> naming <paramref name="source"/> and the field when the shared sizes cannot describe a model.</summary>
    protected void ValidateShape(string source, FieldNames names)
    {
        RequirePositive(source, names.Hidden, HiddenSize);
        RequirePositive(source, names.Intermediate, IntermediateSize);
        RequirePositive(source, names.Layers, NumLayers);
        RequirePositive(source, names.Heads, NumHeads);
        RequirePositive(source, "vocab_size", VocabSize);
        RequirePositive(source, names.Positions, MaxPositions);
        RequirePositive(source, "type_vocab_size", TypeVocabSize);
        if (HiddenSize % NumHeads != 0)
            throw new ModelFormatException($"{source}: {names.Hidden} ({HiddenSize}) is not divisible by {names.Heads} ({NumHeads})");
        if (!(LayerNormEps > 0) || !float.IsFinite(LayerNormEps))
            throw new ModelFormatException($"{source}: {names.Epsilon} must be a positive finite number, got {LayerNormEps}");
    }

    private static void RequirePositive(string source, string field, int value)
    {
        if (value <= 0) throw new ModelFormatException($"{source}: {field} must be positive, got {value}");
    }
}
