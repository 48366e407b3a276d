using System.Text.Json;
using Transformer.Loader.Json;

namespace Transformer.Loader.Config;

/// <summary>
/// Reads the <c>config.json</c> of a nomic-bert encoder (model_type <c>nomic_bert</c>, architectures NomicBertModel)
/// into a <see cref="NomicBertConfig"/>. The variants its remote code allows but nomic-embed-text does not use
/// (pre-norm, biases, interleaved or scaled rotary, RMSNorm, parallel blocks, a causal mask, GELU MLPs) are refused by
/// name rather than run wrongly.
/// </summary>
public static class NomicBertConfigReader
{
    /// <summary>The model_type this reader handles.</summary>
    public const string ModelType = "nomic_bert";

    /// <summary>Parses config.json text; <paramref name="source"/> prefixes every error. The result has been validated.</summary>
    public static NomicBertConfig Parse(JsonElement root, string source)
    {
        var fields = new JsonFields(root, source);
        string activation = fields.OptionalString("activation_function") ?? "swiglu";
        if (activation is not "swiglu")
            throw new ModelFormatException($"{source}: activation_function '{InputQuote.Cap(activation)}' is not supported for nomic_bert; supported: swiglu");
        foreach (var (field, meaning) in new[]
        {
            ("prenorm", "pre-norm layers"), ("causal", "a causal mask"), ("qkv_proj_bias", "a Wqkv bias"),
            ("mlp_fc1_bias", "MLP biases"), ("mlp_fc2_bias", "MLP biases"), ("use_rms_norm", "RMSNorm"),
            ("parallel_block", "parallel blocks"), ("rotary_emb_interleaved", "interleaved rotary pairs"),
        })
        {
            if (fields.OptionalBool(field) == true)
                throw new ModelFormatException($"{source}: {field} true ({meaning}) is not supported for nomic_bert; nomic-embed-text sets it false");
        }
        if (fields.Has("rotary_scaling_factor"))
            throw new ModelFormatException($"{source}: rotary_scaling_factor (dynamic NTK scaling) is not supported for nomic_bert; supported: null");
        var architectures = fields.StringList("architectures");
        var config = new NomicBertConfig
        {
            Architecture = architectures.Count > 0 ? architectures[0] : "NomicBertModel",
            HiddenSize = fields.RequiredInt("n_embd"),
            IntermediateSize = fields.RequiredInt("n_inner"),
            NumLayers = fields.RequiredInt("n_layer"),
            NumHeads = fields.RequiredInt("n_head"),
            VocabSize = fields.RequiredInt("vocab_size"),
            MaxPositions = fields.OptionalInt("n_positions") ?? 2048,
            TypeVocabSize = fields.OptionalInt("type_vocab_size") ?? 2,
            LayerNormEps = fields.OptionalFloat("layer_norm_epsilon") ?? 1e-12f,
            RotaryBase = fields.OptionalFloat("rotary_emb_base") ?? 10000f,
            RotaryFraction = fields.OptionalFloat("rotary_emb_fraction") ?? 1f,
        };
        config.Validate(source);
        return config;
    }
}
