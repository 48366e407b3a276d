using System.Text;
using System.Text.Json;
using Transformer.Loader.Json;

namespace Transformer.Loader.Config;

/// <summary>
/// Reads a Hugging Face <c>config.json</c> into a <see cref="ModelConfig"/>, applying each supported
/// family's defaults and quirks here so model code sees only flags.
/// </summary>
public static class HuggingFaceConfig
{
    /// <summary>The conventional file name.</summary>
    public const string FileName = "config.json";

    private sealed record Family(string ModelType, string Architecture);

    private static readonly Family Llama = new("llama", "LlamaForCausalLM");
    private static readonly Family Mistral = new("mistral", "MistralForCausalLM");
    private static readonly Family Qwen2 = new("qwen2", "Qwen2ForCausalLM");
    private static readonly Family Qwen3 = new("qwen3", "Qwen3ForCausalLM");
    private static readonly Family SmolLM3 = new("smollm3", "SmolLM3ForCausalLM");
    private static readonly Family Phi3 = new("phi3", "Phi3ForCausalLM");
    private static readonly Family Gemma2 = new("gemma2", "Gemma2ForCausalLM");
    private static readonly Family Gemma3Text = new("gemma3_text", "Gemma3ForCausalLM");
    private static readonly Family Gemma3 = new("gemma3", "Gemma3ForConditionalGeneration");
    private static readonly Family[] Families = [Llama, Mistral, Qwen2, Qwen3, SmolLM3, Phi3, Gemma2, Gemma3Text, Gemma3];

    /// <summary>Supported families as <c>model_type (Architecture)</c>, for messages and docs.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } =
        Families.Select(f => $"{f.ModelType} ({f.Architecture})").ToArray();

    /// <summary><c>rope_scaling.rope_type</c> values this engine implements ("default" means no scaling; "longrope" for phi3).</summary>
    public static IReadOnlyList<string> SupportedRopeTypes { get; } = ["default", "llama3", "longrope"];

    /// <summary>Reads and parses the config file at <paramref name="path"/>.</summary>
    public static ModelConfig Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>
    /// Parses config.json text; <paramref name="source"/> (usually the path) prefixes every error message.
    /// The result has been through <see cref="ModelConfig.Validate"/>.
    /// </summary>
    public static ModelConfig Parse(string json, string source)
    {
        using (var document = StrictJson.Parse(Encoding.UTF8.GetBytes(json), $"{source}: "))
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException($"{source}: expected a JSON object, found {document.RootElement.ValueKind}");
            if (EncoderConfigReader.Describes(document.RootElement))
                throw new ModelFormatException(
                    $"{source}: model_type '{InputQuote.Cap(document.RootElement.TryGetProperty("model_type", out var type) ? type.ToString() : "bert")}' is an encoder that computes embeddings, not text; load it as an embedding model (EmbeddingModel.Load, transformer embed)");
            var fields = new JsonFields(document.RootElement, source);
            var config = Build(fields, IdentifyFamily(fields));
            config.Validate(source);
            return config;
        }
    }

    private static Family IdentifyFamily(JsonFields fields)
    {
        string supported = $"supported model types: {string.Join(", ", SupportedModelTypes)}";
        string? modelType = fields.OptionalString("model_type");
        var architectures = fields.StringList("architectures");

        Family? family = null;
        if (modelType is not null)
        {
            family = Families.FirstOrDefault(f => f.ModelType == modelType)
                ?? throw new ModelFormatException($"{fields.Source}: model_type '{InputQuote.Cap(modelType)}' is not supported; {supported}");
        }
        if (architectures.Count > 0)
        {
            string architecture = architectures[0];
            var byArchitecture = Families.FirstOrDefault(f => f.Architecture == architecture)
                ?? throw new ModelFormatException($"{fields.Source}: architecture '{InputQuote.Cap(architecture)}' is not supported; {supported}");
            if (family is not null && family != byArchitecture)
                throw new ModelFormatException(
                    $"{fields.Source}: model_type '{InputQuote.Cap(modelType)}' disagrees with architectures[0] '{InputQuote.Cap(architecture)}'");
            family = byArchitecture;
        }
        return family ?? throw new ModelFormatException($"{fields.Source}: neither 'model_type' nor 'architectures' is given; {supported}");
    }

    private static ModelConfig Build(JsonFields fields, Family family)
    {
        if (family == Gemma2 || family == Gemma3Text || family == Gemma3)
            // gemma3 is the multimodal wrapper: only its language model (text_config) is run, as Gemma3ForCausalLM.
            return GemmaConfigReader.Build(fields, family == Gemma3 ? Gemma3Text.Architecture : family.Architecture,
                gemma3: family != Gemma2, nested: family == Gemma3);
        string? activation = fields.OptionalString("hidden_act");
        if (activation is not null and not "silu")
            throw new ModelFormatException($"{fields.Source}: hidden_act '{InputQuote.Cap(activation)}' is not supported; supported: silu (SwiGLU MLP)");

        int hidden = fields.RequiredInt("hidden_size");
        int heads = fields.RequiredInt("num_attention_heads");
        if (heads <= 0)
            throw new ModelFormatException($"{fields.Source}: num_attention_heads must be positive, got {heads}");
        int headDim = fields.OptionalInt("head_dim") ?? DefaultHeadDim(fields, family, hidden, heads);
        int maxPositions = fields.RequiredInt("max_position_embeddings");
        int rotaryDim = ReadRotaryDim(fields, family, headDim);

        // Qwen2 always has q/k/v biases and never an o_proj bias; Llama's attention_bias covers all four.
        // Phi-3's projections never have biases (its config has no such field).
        bool attentionBias = family == Qwen2 || (family != Phi3 && (fields.OptionalBool("attention_bias") ?? false));
        bool outputBias = family != Qwen2 && attentionBias;

        var (window, slidingLayers) = ReadSlidingWindow(fields, family, fields.RequiredInt("num_hidden_layers"));

        return new ModelConfig
        {
            Architecture = family.Architecture,
            HiddenSize = hidden,
            IntermediateSize = fields.RequiredInt("intermediate_size"),
            NumLayers = fields.RequiredInt("num_hidden_layers"),
            NumHeads = heads,
            NumKvHeads = fields.OptionalInt("num_key_value_heads") ?? heads,
            HeadDim = headDim,
            RotaryDim = rotaryDim,
            VocabSize = fields.RequiredInt("vocab_size"),
            MaxPositions = maxPositions,
            // The transformers library's defaults for all three families.
            // (Phi3Config's default is 1e-5.)
            RmsNormEps = fields.OptionalFloat("rms_norm_eps") ?? (family == Phi3 ? 1e-5f : 1e-6f),
            // SmolLM3Config's own defaults differ from Llama's: a 2e6 RoPE base and tied embeddings.
            RopeTheta = fields.OptionalFloat("rope_theta") ?? (family == SmolLM3 ? 2_000_000f : 10000f),
            RopeScaling = family == Phi3 ? null : ReadRopeScaling(fields),
            LongRope = family == Phi3 ? ReadLongRope(fields, rotaryDim, maxPositions) : null,
            TieWordEmbeddings = fields.OptionalBool("tie_word_embeddings") ?? family == SmolLM3,
            AttentionBias = attentionBias,
            OutputProjectionBias = outputBias,
            MlpBias = family != Phi3 && (fields.OptionalBool("mlp_bias") ?? false),
            BosTokenId = fields.OptionalInt("bos_token_id"),
            EosTokenIds = fields.IntOrIntList("eos_token_id"),
            SlidingWindow = window,
            SlidingLayers = slidingLayers,
            RopeByLayer = family == SmolLM3 ? ReadRopeByLayer(fields, fields.RequiredInt("num_hidden_layers")) : null,
        };
    }

    /// <summary>
    /// SmolLM3's NoPE layers: <c>no_rope_layers</c> (1 = RoPE, 0 = none; at least one entry per layer, as
    /// transformers reads it), or else every <c>no_rope_layer_interval</c>-th layer (default 4) without RoPE.
    /// </summary>
    private static IReadOnlyList<bool> ReadRopeByLayer(JsonFields fields, int layers)
    {
        if (fields.Has("no_rope_layers"))
        {
            var flags = fields.IntList("no_rope_layers");
            if (flags.Count < layers)
                throw new ModelFormatException($"{fields.Source}: no_rope_layers has {flags.Count} entries, fewer than num_hidden_layers ({layers})");
            if (flags.FirstOrDefault(f => f is not (0 or 1), -1) is var bad and not -1)
                throw new ModelFormatException($"{fields.Source}: no_rope_layers entries must be 0 (no RoPE) or 1 (RoPE), found {bad}");
            return flags.Take(Math.Max(0, layers)).Select(f => f == 1).ToArray();
        }
        int interval = fields.OptionalInt("no_rope_layer_interval") ?? 4;
        if (interval <= 0) throw new ModelFormatException($"{fields.Source}: no_rope_layer_interval must be positive, got {interval}");
        return Enumerable.Range(0, Math.Max(0, layers)).Select(l => (l + 1) % interval != 0).ToArray();
    }

    // transformers' Qwen3Config defaults head_dim to 128 whatever the hidden size; the others derive it.
    private static int DefaultHeadDim(JsonFields fields, Family family, int hidden, int heads) =>
        family == Qwen3 ? 128 : HeadDimFromHidden(fields, hidden, heads);

    private static int HeadDimFromHidden(JsonFields fields, int hidden, int heads)
    {
        if (hidden % heads != 0)
            throw new ModelFormatException(
                $"{fields.Source}: head_dim is not given and hidden_size ({hidden}) is not divisible by num_attention_heads ({heads})");
        return hidden / heads;
    }

    /// <summary>
    /// The sliding window and the layers it applies to (null: all). Phi-3 masks every layer, as Mistral does. Qwen2,
    /// Qwen3 and SmolLM3 slide per layer, as transformers reads their configs: <c>layer_types</c> when given (each entry
    /// sliding_attention or full_attention; it takes precedence), else with <c>use_sliding_window</c> the layers from
    /// <c>max_window_layers</c> on; a Mistral config with layer_types slides only those layers too.
    /// </summary>
    private static (int? Window, IReadOnlyList<bool>? Layers) ReadSlidingWindow(JsonFields fields, Family family, int layers)
    {
        if (family == Phi3) return (fields.OptionalInt("sliding_window"), null);
        if (family != Mistral && family != Qwen2 && family != Qwen3 && family != SmolLM3) return (null, null);
        var types = fields.StringList("layer_types");
        bool[] sliding;
        if (types.Count > 0)
        {
            if (types.FirstOrDefault(t => t is not ("sliding_attention" or "full_attention")) is { } bad)
                throw new ModelFormatException($"{fields.Source}: layer_types entry '{InputQuote.Cap(bad)}' is not supported; supported: sliding_attention, full_attention");
            if (types.Count != layers)
                throw new ModelFormatException($"{fields.Source}: layer_types has {types.Count} entries for {layers} layers (num_hidden_layers)");
            sliding = types.Select(t => t == "sliding_attention").ToArray();
        }
        else if (family == Mistral)
        {
            return (fields.OptionalInt("sliding_window"), null);
        }
        else if (fields.OptionalBool("use_sliding_window") ?? false)
        {
            // transformers' default is 28 for Qwen2 and Qwen3, and SmolLM3 follows Qwen2's config.
            int from = fields.OptionalInt("max_window_layers") ?? 28;
            if (from < 0) throw new ModelFormatException($"{fields.Source}: max_window_layers must be ≥ 0, got {from}");
            sliding = Enumerable.Range(0, layers).Select(l => l >= from).ToArray();
        }
        else
        {
            return (null, null);
        }
        if (!sliding.Any(s => s)) return (null, null);
        int window = fields.OptionalInt("sliding_window")
            ?? throw new ModelFormatException($"{fields.Source}: {(types.Count > 0 ? "layer_types lists sliding_attention layers" : "use_sliding_window is true")} but sliding_window is not set");
        // Every layer sliding is the Mistral case: one window for the whole step.
        return (window, sliding.All(s => s) ? null : sliding);
    }

    /// <summary>Phi-3 rotates only head_dim × partial_rotary_factor features of each head (transformers truncates to an integer).</summary>
    private static int ReadRotaryDim(JsonFields fields, Family family, int headDim)
    {
        float? factor = fields.OptionalFloat("partial_rotary_factor");
        if (factor is null || (factor == 1 && family != Phi3)) return headDim;
        if (family != Phi3)
            throw new ModelFormatException($"{fields.Source}: partial_rotary_factor is not supported for model_type '{family.ModelType}'");
        if (!(factor > 0) || factor > 1)
            throw new ModelFormatException($"{fields.Source}: partial_rotary_factor must be in (0, 1], got {factor}");
        return (int)(headDim * factor.Value);
    }

    /// <summary>
    /// Phi-3's rope_scaling: null or "default" for plain RoPE, or "longrope" with short_factor and long_factor
    /// lists and original_max_position_embeddings (top level, as Phi-3 configs write it). The attention factor is
    /// rope_scaling.attention_factor, else √(1 + ln(s) / ln(original)) with s = max / original (1 when s ≤ 1),
    /// as transformers computes it.
    /// </summary>
    private static LongRopeScaling? ReadLongRope(JsonFields fields, int rotaryDim, int maxPositions)
    {
        if (fields.OptionalObject("rope_scaling") is not { } scaling) return null;
        string? type = scaling.OptionalString("rope_type") ?? scaling.OptionalString("type");
        if (type is "default") return null;
        if (type is not "longrope")
            throw new ModelFormatException($"{fields.Source}: rope_scaling type '{InputQuote.Cap(type ?? "(none)")}' is not supported for phi3; supported: default, longrope");
        int original = fields.OptionalInt("original_max_position_embeddings")
            ?? scaling.OptionalInt("original_max_position_embeddings")
            ?? throw new ModelFormatException($"{fields.Source}: longrope needs 'original_max_position_embeddings'");
        float attentionFactor = scaling.OptionalFloat("attention_factor") ?? DefaultLongRopeAttentionFactor(maxPositions, original);
        return new LongRopeScaling(scaling.FloatList("short_factor"), scaling.FloatList("long_factor"), original, attentionFactor);
    }

    private static float DefaultLongRopeAttentionFactor(int maxPositions, int original)
    {
        double scale = (double)maxPositions / original;
        return scale <= 1 ? 1f : (float)Math.Sqrt(1 + Math.Log(scale) / Math.Log(original));
    }

    private static RopeScaling? ReadRopeScaling(JsonFields fields)
    {
        if (fields.OptionalObject("rope_scaling") is not { } scaling) return null;
        // Older configs say "type", newer ones "rope_type".
        string? type = scaling.OptionalString("rope_type") ?? scaling.OptionalString("type");
        string supported = $"supported: {string.Join(", ", SupportedRopeTypes)}";
        return type switch
        {
            null => throw new ModelFormatException($"{fields.Source}: rope_scaling has no 'rope_type'; {supported}"),
            "default" => null,
            "llama3" => new RopeScaling(
                scaling.RequiredFloat("factor"),
                scaling.RequiredFloat("low_freq_factor"),
                scaling.RequiredFloat("high_freq_factor"),
                scaling.RequiredInt("original_max_position_embeddings")),
            _ => throw new ModelFormatException($"{fields.Source}: rope_scaling type '{InputQuote.Cap(type)}' is not supported; {supported}"),
        };
    }
}
