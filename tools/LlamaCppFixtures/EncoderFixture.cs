using Transformer.Loader;
using Transformer.Loader.Gguf;

namespace LlamaCppFixtures;

/// <summary>
/// An encoder's fixture: the weights are the ones tools/reference wrote with its PyTorch reference (Fixtures/NAME),
/// so llama.cpp, PyTorch and our engine all run the same values; this side only renames them for llama.cpp and
/// records llama.cpp's embeddings on the token ids of the PyTorch reference.
/// </summary>
public abstract class EncoderFixture
{
    /// <summary>The fixture folder's name under Fixtures (written by tools/reference) and under Fixtures/llamacpp.</summary>
    public abstract string Name { get; }

    /// <summary>llama.cpp's <c>general.architecture</c>.</summary>
    public abstract string GgufArchitecture { get; }

    /// <summary>Writes <c>ARCH.*</c> hyperparameters and <c>tokenizer.ggml.token_type_count</c>, read from config.json.</summary>
    public abstract void AddMetadata(GgufWriter gguf, System.Text.Json.JsonElement config);

    /// <summary>The GGUF tensors for the weights: llama.cpp's names and ggml dimension order.</summary>
    public abstract IEnumerable<(string Name, long[] Dimensions, float[] Values)> GgufTensors(IWeightSource weights, System.Text.Json.JsonElement config);

    /// <summary>The tensor's values in float32 with its ggml dimensions (innermost first), renamed.</summary>
    protected static (string, long[], float[]) Renamed(IWeightSource weights, string huggingFace, string gguf)
    {
        var t = weights.Get(huggingFace);
        long[] dims = t.Shape.Count == 1 ? [t.Shape[0]] : [t.Shape[1], t.Shape[0]];
        return (gguf, dims, t.ToFloat32());
    }

    /// <summary>The metadata every llama.cpp BERT-like encoder reads: sizes, LayerNorm epsilon, no causal mask, no pooling.</summary>
    protected void AddEncoderKeys(GgufWriter gguf, int vocab, int context, int hidden, int layers, int ffn, int heads, float eps, int typeVocab)
    {
        string a = GgufArchitecture;
        gguf.Add($"{a}.vocab_size", (uint)vocab);
        gguf.Add($"{a}.context_length", (uint)context);
        gguf.Add($"{a}.embedding_length", (uint)hidden);
        gguf.Add($"{a}.block_count", (uint)layers);
        gguf.Add($"{a}.feed_forward_length", (uint)ffn);
        gguf.Add($"{a}.attention.head_count", (uint)heads);
        gguf.Add($"{a}.attention.layer_norm_epsilon", eps);
        gguf.Add($"{a}.attention.causal", false);
        gguf.Add($"{a}.pooling_type", 0u); // none: the context's pooling type decides per run
        // llama.cpp only builds BERT's token-type embedding when the vocabulary declares types.
        gguf.Add("tokenizer.ggml.token_type_count", (uint)typeVocab);
    }
}
