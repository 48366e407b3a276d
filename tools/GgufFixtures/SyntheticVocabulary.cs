using Transformer.Loader.Gguf;

namespace GgufFixtures;

/// <summary>
/// A SentencePiece-style vocabulary for synthetic models (llama.cpp refuses a model without one): &lt;unk&gt;,
/// &lt;s&gt;, &lt;/s&gt;, the 256 byte pieces, then pieces "t259"… with falling scores.
/// </summary>
internal static class SyntheticVocabulary
{
    public const int Size = 320;

    public static void Add(GgufWriter gguf)
    {
        var tokens = new string[Size];
        var scores = new float[Size];
        var types = new int[Size];
        (tokens[0], types[0]) = ("<unk>", 2);
        (tokens[1], types[1]) = ("<s>", 3);
        (tokens[2], types[2]) = ("</s>", 3);
        for (int b = 0; b < 256; b++) (tokens[3 + b], types[3 + b]) = ($"<0x{b:X2}>", 6);
        for (int id = 259; id < Size; id++) (tokens[id], scores[id], types[id]) = ($"t{id}", -id, 1);
        gguf.Add("tokenizer.ggml.model", "llama");
        gguf.Add("tokenizer.ggml.tokens", tokens);
        gguf.Add("tokenizer.ggml.scores", scores);
        gguf.Add("tokenizer.ggml.token_type", types);
        gguf.Add("tokenizer.ggml.unknown_token_id", 0u);
        gguf.Add("tokenizer.ggml.bos_token_id", 1u);
        gguf.Add("tokenizer.ggml.eos_token_id", 2u);
    }
}
