namespace Transformer.Loader.Gguf;

/// <summary>
/// llama.cpp's tensor names and the Hugging Face names the model code looks weights up by
/// (<c>blk.3.attn_q.weight</c> ↔ <c>model.layers.3.self_attn.q_proj.weight</c>).
/// </summary>
public static class GgufTensorNames
{
    private static readonly Dictionary<string, string> Global = new(StringComparer.Ordinal)
    {
        ["token_embd.weight"] = "model.embed_tokens.weight",
        ["output_norm.weight"] = "model.norm.weight",
        ["output.weight"] = "lm_head.weight",
    };

    /// <summary>Per-layer parts shared by every Llama-like architecture (GGUF part → Hugging Face part).</summary>
    private static readonly Dictionary<string, string> Layer = new(StringComparer.Ordinal)
    {
        ["attn_norm.weight"] = "input_layernorm.weight",
        ["attn_q.weight"] = "self_attn.q_proj.weight",
        ["attn_k.weight"] = "self_attn.k_proj.weight",
        ["attn_v.weight"] = "self_attn.v_proj.weight",
        ["attn_output.weight"] = "self_attn.o_proj.weight",
        ["attn_q.bias"] = "self_attn.q_proj.bias",
        ["attn_k.bias"] = "self_attn.k_proj.bias",
        ["attn_v.bias"] = "self_attn.v_proj.bias",
        ["attn_output.bias"] = "self_attn.o_proj.bias",
        ["ffn_norm.weight"] = "post_attention_layernorm.weight",
        ["ffn_gate.weight"] = "mlp.gate_proj.weight",
        ["ffn_up.weight"] = "mlp.up_proj.weight",
        ["ffn_down.weight"] = "mlp.down_proj.weight",
        ["ffn_gate.bias"] = "mlp.gate_proj.bias",
        ["ffn_up.bias"] = "mlp.up_proj.bias",
        ["ffn_down.bias"] = "mlp.down_proj.bias",
    };

    /// <summary>
    /// The Hugging Face name of a GGUF tensor of <paramref name="architecture"/>, or null when the engine has no use
    /// for it (a tensor a model would need, such as a mixture of experts' routers, is then refused by the caller rather
    /// than silently dropped; Llama 3's <c>rope_freqs.weight</c> is read into the config instead).
    /// </summary>
    public static string? ToHuggingFace(string ggufName, GgufArchitecture architecture)
    {
        if (Global.TryGetValue(ggufName, out string? global)) return global;
        const string prefix = "blk.";
        if (!ggufName.StartsWith(prefix, StringComparison.Ordinal)) return null;
        int dot = ggufName.IndexOf('.', prefix.Length);
        if (dot < 0 || !int.TryParse(ggufName.AsSpan(prefix.Length, dot - prefix.Length), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out int layer))
            return null;
        string part = ggufName[(dot + 1)..];
        string? huggingFace = Layer.GetValueOrDefault(part) ?? architecture.ExtraLayerTensors.GetValueOrDefault(part);
        return huggingFace is null ? null : $"model.layers.{layer}.{huggingFace}";
    }

    /// <summary>The GGUF name of a Hugging Face tensor (the inverse of <see cref="ToHuggingFace"/>), or null when there is none.</summary>
    public static string? ToGguf(string huggingFaceName, GgufArchitecture architecture)
    {
        foreach (var (gguf, hf) in Global)
            if (hf == huggingFaceName) return gguf;
        const string prefix = "model.layers.";
        if (!huggingFaceName.StartsWith(prefix, StringComparison.Ordinal)) return null;
        int dot = huggingFaceName.IndexOf('.', prefix.Length);
        if (dot < 0) return null;
        string layer = huggingFaceName[prefix.Length..dot], part = huggingFaceName[(dot + 1)..];
        foreach (var (gguf, hf) in Layer.Concat(architecture.ExtraLayerTensors))
            if (hf == part) return $"blk.{layer}.{gguf}";
        return null;
    }

    /// <summary>The GGUF name of layer <paramref name="layer"/>'s part (<c>attn_q.weight</c> → <c>blk.0.attn_q.weight</c>).</summary>
    public static string LayerTensor(int layer, string part) => $"blk.{layer}.{part}";
}
