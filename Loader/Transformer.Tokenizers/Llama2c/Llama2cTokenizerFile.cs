using System.Buffers.Binary;
using Transformer.Loader;

namespace Transformer.Tokenizers.Llama2c;

/// <summary>The contents of a llama2.c tokenizer export (<c>tokenizer.bin</c>, <c>tok512.bin</c>).</summary>
/// <param name="MaxTokenLength">The longest piece in bytes, as written in the header.</param>
/// <param name="Pieces">The raw bytes of every piece, indexed by id.</param>
/// <param name="Scores">The merge score of every piece, indexed by id.</param>
internal sealed record Llama2cTokenizerFile(int MaxTokenLength, byte[][] Pieces, float[] Scores)
{
    /// <summary>
    /// Reads the format run.c's <c>build_tokenizer</c> reads, little-endian: <c>int32 max_token_length</c>,
    /// then per id <c>float32 score, int32 len, len bytes</c>. The file does not store the vocabulary size
    /// (run.c takes it from the checkpoint), so entries are read until the data ends; an entry cut short
    /// is an error, and so is a count that disagrees with <paramref name="expectedVocabSize"/> when given.
    /// </summary>
    public static Llama2cTokenizerFile Read(ReadOnlySpan<byte> data, string sourceName, int? expectedVocabSize)
    {
        if (data.Length < 4)
        {
            throw new ModelFormatException($"{sourceName}: llama2.c tokenizer file is {data.Length} bytes, too short for its 4-byte header.");
        }

        int maxTokenLength = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (maxTokenLength <= 0)
        {
            throw new ModelFormatException($"{sourceName}: llama2.c tokenizer header gives max_token_length {maxTokenLength}; it must be positive.");
        }

        var pieces = new List<byte[]>();
        var scores = new List<float>();
        int offset = 4;
        while (offset < data.Length)
        {
            int id = pieces.Count;
            if (data.Length - offset < 8)
            {
                throw new ModelFormatException($"{sourceName}: llama2.c tokenizer entry {id} at byte {offset} is truncated: {data.Length - offset} bytes left, its score and length need 8.");
            }

            float score = BinaryPrimitives.ReadSingleLittleEndian(data[offset..]);
            int length = BinaryPrimitives.ReadInt32LittleEndian(data[(offset + 4)..]);
            offset += 8;
            if (length < 0 || length > maxTokenLength)
            {
                throw new ModelFormatException($"{sourceName}: llama2.c tokenizer entry {id} has length {length}, outside 0..{maxTokenLength} (max_token_length).");
            }

            if (data.Length - offset < length)
            {
                throw new ModelFormatException($"{sourceName}: llama2.c tokenizer entry {id} is truncated: it needs {length} bytes, {data.Length - offset} are left.");
            }

            if (!float.IsFinite(score))
            {
                throw new ModelFormatException($"{sourceName}: llama2.c tokenizer entry {id} has a non-finite score ({score}).");
            }

            pieces.Add(data.Slice(offset, length).ToArray());
            scores.Add(score);
            offset += length;
        }

        if (expectedVocabSize is int expected && expected != pieces.Count)
        {
            throw new ModelFormatException($"{sourceName}: llama2.c tokenizer holds {pieces.Count} pieces but the model's vocabulary has {expected}.");
        }

        // Ids 0..2 are <unk>, BOS, EOS and 3..258 the byte-fallback pieces in every llama2.c export;
        // the encoder relies on the byte ids, so a smaller table cannot be a usable tokenizer.
        if (pieces.Count < Llama2cTokenizer.FirstByteId + 256)
        {
            throw new ModelFormatException($"{sourceName}: llama2.c tokenizer holds {pieces.Count} pieces; at least {Llama2cTokenizer.FirstByteId + 256} are needed (unk, BOS, EOS and 256 byte pieces).");
        }

        return new Llama2cTokenizerFile(maxTokenLength, [.. pieces], [.. scores]);
    }
}
