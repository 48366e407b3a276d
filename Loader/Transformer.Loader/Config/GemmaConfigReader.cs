namespace Transformer.Loader.Config;

/// <summary>
/// config.json of <c>gemma2</c>, <c>gemma3_text</c> and <c>gemma3</c> (whose language model is described by
/// its nested <c>text_config</c>). Released Gemma 3 configs leave most fields to transformers' defaults, so
/// the defaults of Gemma2Config and Gemma3TextConfig are applied here for every field they omit.
/// </summary>
internal static class GemmaConfigReader
{
    private sealed record Defaults(int Vocab, int Hidden, int Ffn, int Layers, int Heads, int KvHeads, int HeadDim, int MaxPositions,
        float RopeTheta, float? AttentionSoftCap, float? FinalSoftCap, int SlidingPattern);

    // transformers' Gemma2Config and Gemma3TextConfig.
    private static readonly Defaults s_gemma2 = new(256000, 2304, 9216, 26, 8, 4, 256, 8192, 10000f, 50f, 30f, 2);
    private static readonly Defaults s_gemma3 = new(262208, 2304, 9216, 26, 8, 4, 256, 131072, 1_000_000f, null, null, 6);

    /// <summary>Supported activations: the tanh approximation of GELU, as every Gemma 2/3 checkpoint uses.</summary>
    private static readonly string[] s_activations = ["gelu_pytorch_tanh", "gelu_tanh"];

    public static ModelConfig Build(JsonFields top, string architecture, bool gemma3, bool nested)
    {
        var fields = nested
            ? top.OptionalObject("text_config") ?? throw new ModelFormatException($"{top.Source}: model_type gemma3 needs a 'text_config' object")
            : top;
        var d = gemma3 ? s_gemma3 : s_gemma2;
        string activation = fields.OptionalString("hidden_activation") ?? fields.OptionalString("hidden_act") ?? "gelu_pytorch_tanh";
        if (!s_activations.Contains(activation))
            throw new ModelFormatException($"{fields.Source}: hidden_activation '{InputQuote.Cap(activation)}' is not supported for Gemma; supported: {string.Join(", ", s_activations)}");
        if (fields.OptionalBool("attention_bias") ?? false)
            throw new ModelFormatException($"{fields.Source}: attention_bias true is not supported for Gemma");

        int layers = fields.OptionalInt("num_hidden_layers") ?? d.Layers;
        int headDim = fields.OptionalInt("head_dim") ?? d.HeadDim;
        int heads = fields.OptionalInt("num_attention_heads") ?? d.Heads;
        int vocab = fields.OptionalInt("vocab_size") ?? d.Vocab;
        float ropeTheta = fields.OptionalFloat("rope_theta") ?? d.RopeTheta;
        var eos = fields.IntOrIntList("eos_token_id");
        return new ModelConfig
        {
            Architecture = architecture,
            HiddenSize = fields.OptionalInt("hidden_size") ?? d.Hidden,
            IntermediateSize = fields.OptionalInt("intermediate_size") ?? d.Ffn,
            NumLayers = layers,
            NumHeads = heads,
            NumKvHeads = fields.OptionalInt("num_key_value_heads") ?? d.KvHeads,
            HeadDim = headDim,
            VocabSize = vocab,
            MaxPositions = fields.OptionalInt("max_position_embeddings") ?? d.MaxPositions,
            RmsNormEps = fields.OptionalFloat("rms_norm_eps") ?? 1e-6f,
            RopeTheta = ropeTheta,
            TieWordEmbeddings = (fields.OptionalBool("tie_word_embeddings") ?? top.OptionalBool("tie_word_embeddings")) ?? true,
            BosTokenId = fields.OptionalInt("bos_token_id") ?? top.OptionalInt("bos_token_id"),
            EosTokenIds = eos.Count > 0 ? eos : top.IntOrIntList("eos_token_id"),
            Gemma = new GemmaSettings
            {
                QueryPreAttentionScalar = fields.OptionalFloat("query_pre_attn_scalar") ?? 256f,
                AttentionSoftCap = fields.Has("attn_logit_softcapping") ? fields.OptionalFloat("attn_logit_softcapping") : NullUnlessPresent(fields, "attn_logit_softcapping", d.AttentionSoftCap),
                FinalLogitSoftCap = fields.Has("final_logit_softcapping") ? fields.OptionalFloat("final_logit_softcapping") : NullUnlessPresent(fields, "final_logit_softcapping", d.FinalSoftCap),
                SlidingLayers = SlidingLayers(fields, layers, d.SlidingPattern),
                SlidingWindow = fields.OptionalInt("sliding_window") ?? 4096,
                LocalRopeTheta = gemma3 ? fields.OptionalFloat("rope_local_base_freq") ?? 10000f : ropeTheta,
                QueryKeyNorm = gemma3,
                GlobalRopeScale = GlobalRopeScale(fields, gemma3),
            },
        };
    }

    /// <summary>Gemma 3's <c>rope_scaling</c>: none, "default", or "linear" with a factor (applied to the global layers only).</summary>
    private static float GlobalRopeScale(JsonFields fields, bool gemma3)
    {
        if (fields.OptionalObject("rope_scaling") is not { } scaling) return 1f;
        string? type = scaling.OptionalString("rope_type") ?? scaling.OptionalString("type");
        if (type is "default") return 1f;
        if (type is "linear" && gemma3) return scaling.RequiredFloat("factor");
        throw new ModelFormatException($"{fields.Source}: rope_scaling type '{InputQuote.Cap(type ?? "(none)")}' is not supported for {(gemma3 ? "Gemma 3" : "Gemma 2")}; supported: {(gemma3 ? "default, linear" : "none")}");
    }

    // A field written as null means "off" (Gemma 3 writes final_logit_softcapping: null); absent means the default.
    private static float? NullUnlessPresent(JsonFields fields, string name, float? fallback) =>
        fields.Present(name) ? null : fallback;

    /// <summary>
    /// <c>layer_types</c> ("sliding_attention" / "full_attention") when given, else every layer sliding except
    /// each <c>sliding_window_pattern</c>-th (Gemma 2: every other layer, starting sliding; Gemma 3: 5 of 6).
    /// </summary>
    private static IReadOnlyList<bool> SlidingLayers(JsonFields fields, int layers, int defaultPattern)
    {
        var types = fields.StringList("layer_types");
        if (types.Count > 0)
        {
            if (types.FirstOrDefault(t => t is not ("sliding_attention" or "full_attention")) is { } bad)
                throw new ModelFormatException($"{fields.Source}: layer_types entry '{InputQuote.Cap(bad)}' is not supported; supported: sliding_attention, full_attention");
            return types.Select(t => t == "sliding_attention").ToArray();
        }
        int pattern = fields.OptionalInt("sliding_window_pattern") ?? defaultPattern;
        if (pattern <= 0) throw new ModelFormatException($"{fields.Source}: sliding_window_pattern must be positive, got {pattern}");
        return Enumerable.Range(0, Math.Max(0, layers)).Select(l => (l + 1) % pattern != 0).ToArray();
    }
}
