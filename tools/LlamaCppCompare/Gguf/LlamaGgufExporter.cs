using System.Runtime.InteropServices;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Kernels.Quantized.Ggml;
using Transformer.Loader.Gguf;
using Transformer.Runtime.Synthetic;

namespace LlamaCppCompare.Gguf;

/// <summary>
/// Writes a Llama model with the deterministic synthetic weights of <see cref="SyntheticWeightSource"/>
/// as a GGUF file llama.cpp loads: matrices in Q8_0, norm weights in F32, llama.cpp's tensor names and
/// metadata, and a synthetic SentencePiece-style vocabulary (llama.cpp refuses a model without one).
/// </summary>
/// <remarks>
/// Hugging Face Llama checkpoints rotate the two halves of each head (rotate-half RoPE); llama.cpp's
/// LLaMA RoPE rotates adjacent pairs. Like llama.cpp's own converter, the exporter permutes the rows of
/// the query and key weights of each head from half-split to interleaved-pair order, so both engines
/// compute the same function from the same weights (up to their different int8 rounding). Speed would not
/// depend on it, but it lets the tool check that the two engines really run the same model.
/// </remarks>
public static class LlamaGgufExporter
{
    /// <summary>ggml's <c>LLAMA_FTYPE_MOSTLY_Q8_0</c>.</summary>
    private const uint FileTypeMostlyQ8_0 = 7;

    // llama.cpp's token types (llama_token_type).
    private const int TokenNormal = 1, TokenUnknown = 2, TokenControl = 3, TokenByte = 6;

    /// <summary>Writes <paramref name="config"/> with synthetic weights (seed <paramref name="seed"/>) to <paramref name="path"/>.</summary>
    public static void Write(ModelConfig config, string path, ulong seed)
    {
        if (config.AttentionBias || config.MlpBias || config.OutputProjectionBias)
            throw new ArgumentException("the GGUF exporter writes plain Llama (no biases)", nameof(config));
        using var weights = new SyntheticWeightSource(config, seed);
        using var gguf = new GgufWriter(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20));
        AddMetadata(gguf, config);

        var tensors = weights.Names.Select(name => (Source: name, Gguf: GgufName(name))).ToArray();
        foreach (var (source, name) in tensors)
        {
            var (rows, columns) = Shape(weights, source);
            if (rows == 1) gguf.DeclareTensor(name, GgmlType.F32, columns);
            else gguf.DeclareTensor(name, GgmlType.Q8_0, columns, rows);
        }
        gguf.WriteHeader();

        foreach (var (source, name) in tensors)
        {
            var tensor = weights.Get(source);
            var values = MemoryMarshal.Cast<byte, float>(tensor.Data.Span);
            if (tensor.Shape.Count == 1)
            {
                gguf.WriteTensorData(name, tensor.Data.Span);
                continue;
            }
            int rows = tensor.Shape[0], columns = tensor.Shape[1];
            float[]? permuted = null;
            if (source.EndsWith("q_proj.weight", StringComparison.Ordinal)) permuted = InterleaveRopePairs(values, config.NumHeads, config.HeadDim, columns);
            else if (source.EndsWith("k_proj.weight", StringComparison.Ordinal)) permuted = InterleaveRopePairs(values, config.NumKvHeads, config.HeadDim, columns);
            gguf.WriteTensorData(name, QuantizeRows(permuted ?? values.ToArray(), rows, columns));
        }
    }

    /// <summary>llama.cpp's name for a Hugging Face Llama tensor.</summary>
    public static string GgufName(string huggingFaceName)
    {
        switch (huggingFaceName)
        {
            case "model.embed_tokens.weight": return "token_embd.weight";
            case "model.norm.weight": return "output_norm.weight";
            case "lm_head.weight": return "output.weight";
        }
        const string layerPrefix = "model.layers.";
        if (huggingFaceName.StartsWith(layerPrefix, StringComparison.Ordinal))
        {
            int dot = huggingFaceName.IndexOf('.', layerPrefix.Length);
            string layer = huggingFaceName[layerPrefix.Length..dot];
            string part = huggingFaceName[(dot + 1)..] switch
            {
                "input_layernorm.weight" => "attn_norm",
                "self_attn.q_proj.weight" => "attn_q",
                "self_attn.k_proj.weight" => "attn_k",
                "self_attn.v_proj.weight" => "attn_v",
                "self_attn.o_proj.weight" => "attn_output",
                "post_attention_layernorm.weight" => "ffn_norm",
                "mlp.gate_proj.weight" => "ffn_gate",
                "mlp.up_proj.weight" => "ffn_up",
                "mlp.down_proj.weight" => "ffn_down",
                var other => throw new ArgumentException($"no GGUF name for Llama tensor part '{other}'", nameof(huggingFaceName)),
            };
            return $"blk.{layer}.{part}.weight";
        }
        throw new ArgumentException($"no GGUF name for tensor '{huggingFaceName}'", nameof(huggingFaceName));
    }

    private static void AddMetadata(GgufWriter gguf, ModelConfig config)
    {
        gguf.Add("general.architecture", "llama");
        gguf.Add("general.name", "synthetic");
        gguf.Add("general.file_type", FileTypeMostlyQ8_0);
        gguf.Add("general.quantization_version", 2u);
        gguf.Add("general.alignment", (uint)GgufWriter.Alignment);
        gguf.Add("llama.vocab_size", (uint)config.VocabSize);
        gguf.Add("llama.context_length", (uint)config.MaxPositions);
        gguf.Add("llama.embedding_length", (uint)config.HiddenSize);
        gguf.Add("llama.block_count", (uint)config.NumLayers);
        gguf.Add("llama.feed_forward_length", (uint)config.IntermediateSize);
        gguf.Add("llama.attention.head_count", (uint)config.NumHeads);
        gguf.Add("llama.attention.head_count_kv", (uint)config.NumKvHeads);
        gguf.Add("llama.attention.layer_norm_rms_epsilon", config.RmsNormEps);
        gguf.Add("llama.rope.dimension_count", (uint)config.HeadDim);
        gguf.Add("llama.rope.freq_base", config.RopeTheta);
        AddVocabulary(gguf, config);
    }

    /// <summary>The synthetic SentencePiece-style vocabulary llama.cpp requires (the bench never tokenizes text).</summary>
    public static void AddVocabulary(GgufWriter gguf, ModelConfig config)
    {
        var (tokens, scores, types) = SyntheticVocabulary(config.VocabSize);
        gguf.Add("tokenizer.ggml.model", "llama");
        gguf.Add("tokenizer.ggml.tokens", tokens);
        gguf.Add("tokenizer.ggml.scores", scores);
        gguf.Add("tokenizer.ggml.token_type", types);
        gguf.Add("tokenizer.ggml.unknown_token_id", 0u);
        gguf.Add("tokenizer.ggml.bos_token_id", (uint)(config.BosTokenId ?? 1));
        gguf.Add("tokenizer.ggml.eos_token_id", (uint)(config.EosTokenIds.Count > 0 ? config.EosTokenIds[0] : 2));
        gguf.Add("tokenizer.ggml.add_bos_token", false);
    }

    /// <summary>
    /// &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, then byte tokens &lt;0x00&gt;.. (as many as fit; llama.cpp looks up
    /// &lt;0x0A&gt; for the line feed), then pieces "t123" for the rest of the vocabulary.
    /// </summary>
    private static (string[] Tokens, float[] Scores, int[] Types) SyntheticVocabulary(int vocab)
    {
        if (vocab < 16) throw new ArgumentException($"the synthetic vocabulary needs at least 16 tokens, got {vocab}", nameof(vocab));
        var tokens = new string[vocab];
        var scores = new float[vocab];
        var types = new int[vocab];
        (tokens[0], types[0]) = ("<unk>", TokenUnknown);
        (tokens[1], types[1]) = ("<s>", TokenControl);
        (tokens[2], types[2]) = ("</s>", TokenControl);
        int bytes = Math.Min(256, vocab - 3);
        for (int b = 0; b < bytes; b++) (tokens[3 + b], types[3 + b]) = ($"<0x{b:X2}>", TokenByte);
        for (int id = 3 + bytes; id < vocab; id++)
        {
            (tokens[id], types[id]) = ($"t{id}", TokenNormal);
            scores[id] = -id; // SentencePiece scores: lower for rarer pieces
        }
        return (tokens, scores, types);
    }

    /// <summary>
    /// Reorders each head's rows from half-split (HF: row i pairs with row i + d/2) to adjacent pairs
    /// (llama.cpp: row 2i pairs with row 2i + 1).
    /// </summary>
    private static float[] InterleaveRopePairs(ReadOnlySpan<float> weights, int heads, int headDim, int columns)
    {
        var result = new float[weights.Length];
        int half = headDim / 2;
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int s = 0; s < 2; s++)
                {
                    int from = h * headDim + s * half + i, to = h * headDim + 2 * i + s;
                    weights.Slice(from * columns, columns).CopyTo(result.AsSpan(to * columns, columns));
                }
        return result;
    }

    private static byte[] QuantizeRows(float[] values, int rows, int columns)
    {
        int rowBytes = columns / GgmlQ8_0.BlockSize * GgmlQ8_0.BlockBytes;
        var output = new byte[(long)rows * rowBytes];
        Parallel.For(0, rows, row => GgmlQ8_0.QuantizeRow(values.AsSpan(row * columns, columns), output.AsSpan(row * rowBytes, rowBytes)));
        return output;
    }

    private static (int Rows, int Columns) Shape(SyntheticWeightSource weights, string name)
    {
        // Shapes come from the config, not from generating the tensor: declaring must stay cheap.
        var c = weights.Config;
        string part = name.Contains("layers.") ? name[(name.IndexOf('.', "model.layers.".Length) + 1)..] : name;
        return part switch
        {
            "model.embed_tokens.weight" or "lm_head.weight" => (c.VocabSize, c.HiddenSize),
            "model.norm.weight" or "input_layernorm.weight" or "post_attention_layernorm.weight" => (1, c.HiddenSize),
            "self_attn.q_proj.weight" => (c.QueryWidth, c.HiddenSize),
            "self_attn.k_proj.weight" or "self_attn.v_proj.weight" => (c.KvWidth, c.HiddenSize),
            "self_attn.o_proj.weight" => (c.HiddenSize, c.QueryWidth),
            "mlp.gate_proj.weight" or "mlp.up_proj.weight" => (c.IntermediateSize, c.HiddenSize),
            "mlp.down_proj.weight" => (c.HiddenSize, c.IntermediateSize),
            _ => throw new ArgumentException($"no shape known for tensor '{name}'", nameof(name)),
        };
    }
}
