using Transformer.Loader.Gguf;

namespace LlamaCppFixtures;

/// <summary>
/// One architecture's fixture: a tiny config.json, random weights under Hugging Face names (what our engine
/// loads), and the same model in llama.cpp's GGUF names and conventions (what llama.cpp loads).
/// </summary>
public abstract class FixtureArchitecture
{
    /// <summary>The fixture folder's name, e.g. <c>qwen3</c>.</summary>
    public abstract string Name { get; }

    /// <summary>llama.cpp's <c>general.architecture</c>.</summary>
    public abstract string GgufArchitecture { get; }

    /// <summary>The config.json text.</summary>
    public abstract string ConfigJson { get; }

    /// <summary>The weights under Hugging Face names.</summary>
    public abstract IReadOnlyList<FixtureTensor> Tensors { get; }

    /// <summary>The vocabulary size (logits per position).</summary>
    public abstract int VocabSize { get; }

    /// <summary>The context llama.cpp is run with (matters where the architecture picks factors by context).</summary>
    public virtual int LlamaCppContext => 64;

    /// <summary>Writes <c>ARCH.*</c> hyperparameters; the tokenizer and general keys are written by the caller.</summary>
    public abstract void AddMetadata(GgufWriter gguf);

    /// <summary>The GGUF tensors: llama.cpp's names, ggml dimension order, values as llama.cpp expects them.</summary>
    public abstract IEnumerable<(string Name, long[] Dimensions, float[] Values)> GgufTensors();

    /// <summary>A Hugging Face tensor by name.</summary>
    protected FixtureTensor Tensor(string name) => Tensors.First(t => t.Name == name);

    /// <summary>ggml dimensions of a row-major tensor: innermost first.</summary>
    protected static long[] Dimensions(FixtureTensor t) => t.Shape.Length == 1 ? [t.Shape[0]] : [t.Shape[1], t.Shape[0]];

    /// <summary>
    /// The Llama layout's tensors renamed to llama.cpp's (token_embd, blk.N.attn_q, ...). Names outside it
    /// go to <paramref name="extra"/>, which returns null for a tensor llama.cpp does not take.
    /// </summary>
    protected static string GgufName(string huggingFace, Func<string, string?>? extra = null)
    {
        switch (huggingFace)
        {
            case "model.embed_tokens.weight": return "token_embd.weight";
            case "model.norm.weight": return "output_norm.weight";
            case "lm_head.weight": return "output.weight";
        }
        const string layerPrefix = "model.layers.";
        if (!huggingFace.StartsWith(layerPrefix, StringComparison.Ordinal))
            throw new ArgumentException($"no GGUF name for '{huggingFace}'");
        int dot = huggingFace.IndexOf('.', layerPrefix.Length);
        string layer = huggingFace[layerPrefix.Length..dot], part = huggingFace[(dot + 1)..];
        string? name = part switch
        {
            "input_layernorm.weight" => "attn_norm.weight",
            "self_attn.q_proj.weight" => "attn_q.weight",
            "self_attn.k_proj.weight" => "attn_k.weight",
            "self_attn.v_proj.weight" => "attn_v.weight",
            "self_attn.o_proj.weight" => "attn_output.weight",
            "self_attn.q_proj.bias" => "attn_q.bias",
            "self_attn.k_proj.bias" => "attn_k.bias",
            "self_attn.v_proj.bias" => "attn_v.bias",
            "post_attention_layernorm.weight" => "ffn_norm.weight",
            "mlp.gate_proj.weight" => "ffn_gate.weight",
            "mlp.up_proj.weight" => "ffn_up.weight",
            "mlp.down_proj.weight" => "ffn_down.weight",
            _ => extra?.Invoke(part) ?? throw new ArgumentException($"no GGUF name for '{huggingFace}'"),
        };
        return $"blk.{layer}.{name}";
    }

    /// <summary>
    /// Reorders each head's rows from rotate-half pairs (i, i + d/2) to adjacent pairs (2i, 2i + 1), for
    /// llama.cpp architectures whose RoPE rotates adjacent pairs (llama, smollm3), as its converter does.
    /// </summary>
    protected static float[] InterleaveRopePairs(FixtureTensor t, int heads, int headDim)
    {
        var result = new float[t.Values.Length];
        int half = headDim / 2, columns = t.Columns;
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int s = 0; s < 2; s++)
                {
                    int from = h * headDim + s * half + i, to = h * headDim + 2 * i + s;
                    Array.Copy(t.Values, from * columns, result, to * columns, columns);
                }
        return result;
    }
}
