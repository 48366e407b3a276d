using Transformer.Loader.Gguf;
using Transformer.Tokenizers.SentencePiece;

namespace Transformer.Tokenizers.Gguf;

/// <summary>Writes a tokenizer into GGUF metadata (<c>tokenizer.ggml.*</c>) as llama.cpp's converter does.</summary>
public static class GgufTokenizerMetadata
{
    /// <summary>
    /// Adds a SentencePiece BPE model (<c>tokenizer.model</c>) as a <c>llama</c> tokenizer: its pieces, scores and types,
    /// BOS/EOS/unknown ids, and BOS added with a space prefix (Llama's settings).
    /// </summary>
    /// <exception cref="Transformer.Loader.ModelFormatException">The model is not a SentencePiece BPE model.</exception>
    public static void AddSentencePiece(GgufWriter writer, byte[] model, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var pieces = SentencePieceModelPieces.Read(model, sourceName);
        var tokenizer = SentencePieceBpeTokenizer.FromBytes(model, sourceName);
        writer.Add("tokenizer.ggml.model", "llama");
        writer.Add("tokenizer.ggml.tokens", pieces.Select(p => p.Piece).ToArray());
        writer.Add("tokenizer.ggml.scores", pieces.Select(p => p.Score).ToArray());
        writer.Add("tokenizer.ggml.token_type", pieces.Select(p => (int)p.Type).ToArray());
        int unknown = Array.FindIndex(pieces, p => p.Type == SentencePieceType.Unknown);
        if (unknown >= 0) writer.Add("tokenizer.ggml.unknown_token_id", (uint)unknown);
        if (tokenizer.BosId is int bos) writer.Add("tokenizer.ggml.bos_token_id", (uint)bos);
        if (tokenizer.EosIds.Count > 0) writer.Add("tokenizer.ggml.eos_token_id", (uint)tokenizer.EosIds[0]);
        writer.Add("tokenizer.ggml.add_bos_token", true);
        writer.Add("tokenizer.ggml.add_space_prefix", true);
    }
}
