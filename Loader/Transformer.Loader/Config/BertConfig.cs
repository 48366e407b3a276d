namespace Transformer.Loader.Config;

/// <summary>
/// The shape of a BERT encoder (Devlin et al., 2018) as a Hugging Face <c>config.json</c> of model_type <c>bert</c>
/// describes it: learned absolute positions, token types, post-norm layers with erf GELU. Read by
/// <see cref="BertConfigReader"/>; field names in messages are the config.json ones.
/// </summary>
public sealed record BertConfig : EncoderConfig
{
    /// <summary>Padding token, when the vocabulary has one.</summary>
    public int? PadTokenId { get; init; }

    /// <summary>Throws <see cref="ModelFormatException"/> naming <paramref name="source"/> and the field when the sizes cannot describe a model.</summary>
    public void Validate(string source)
    {
        ValidateShape(source, new("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "max_position_embeddings", "layer_norm_eps"));
        if (PadTokenId is { } pad && (pad < 0 || pad >= VocabSize))
            throw new ModelFormatException($"{source}: pad_token_id {pad} is outside the vocabulary of {VocabSize}");
    }
}
