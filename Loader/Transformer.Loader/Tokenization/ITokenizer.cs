namespace Transformer.Loader.Tokenization;

/// <summary>
/// Turns text into token ids and token ids back into bytes. The engine itself only sees ids;
/// implementations live beside the model files they read.
/// </summary>
public interface ITokenizer
{
    /// <summary>Number of ids.</summary>
    int VocabSize { get; }

    /// <summary>Beginning-of-sequence id, if the vocabulary has one.</summary>
    int? BosId { get; }

    /// <summary>End-of-sequence ids.</summary>
    IReadOnlyList<int> EosIds { get; }

    /// <summary>Token ids of the text, with BOS first when asked and the vocabulary has one.</summary>
    IReadOnlyList<int> Encode(string text, bool addBos);

    /// <summary>
    /// The bytes one token contributes to the output after <paramref name="previousToken"/> (-1 at the
    /// start). Byte tokens yield raw bytes, so a multi-byte character may span tokens; a leading
    /// space is dropped right after BOS, as SentencePiece and llama2.c do. Control tokens yield nothing.
    /// </summary>
    ReadOnlySpan<byte> DecodeBytes(int previousToken, int token);
}
