using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Transformer.Runtime.Evaluation;

/// <summary>
/// A base model's log-softmax rows at every scored position of one evaluation, saved once (<c>eval kld
/// --save-base</c>) so many candidates can be compared against it without loading the base again. The header
/// pins what the rows belong to — vocabulary, window cut and a SHA-256 of the text's token ids — and reading
/// refuses a file made for other text or another cut. Rows are float32: llama.cpp quantizes them to 16 bits,
/// which is too coarse for the tail probabilities a small KL is made of.
/// </summary>
public static class BaseDistributionFile
{
    private static readonly byte[] Magic = "TFKLBASE"u8.ToArray();
    private const int Version = 1;
    private const int HeaderBytes = 8 + 4 * 5 + 32;

    /// <summary>Whether <paramref name="path"/> is a file that begins as a base distribution file does.</summary>
    public static bool Recognizes(string path)
    {
        if (!File.Exists(path)) return false;
        using var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[8];
        return file.ReadAtLeast(magic, 8, throwOnEndOfStream: false) == 8 && magic.SequenceEqual(Magic);
    }

    /// <summary>The identity of an evaluation's input: SHA-256 of the token ids (little-endian int32).</summary>
    public static byte[] TokenHash(IReadOnlyList<int> tokens)
    {
        var bytes = new byte[tokens.Count * 4];
        for (int i = 0; i < tokens.Count; i++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), tokens[i]);
        return SHA256.HashData(bytes);
    }

    /// <summary>Writes the header, then one (next token, row) record per position as <paramref name="positions"/> yields them.</summary>
    /// <returns>Positions written.</returns>
    public static int Write(Stream output, int vocab, TextChunks chunks, IReadOnlyList<int> tokens, IEnumerable<ScoredPosition> positions)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], vocab);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], chunks.Context);
        BinaryPrimitives.WriteInt32LittleEndian(header[20..], chunks.Stride);
        BinaryPrimitives.WriteInt32LittleEndian(header[24..], tokens.Count);
        TokenHash(tokens).CopyTo(header[28..]);
        output.Write(header);
        int written = 0;
        Span<byte> next = stackalloc byte[4];
        foreach (var p in positions)
        {
            BinaryPrimitives.WriteInt32LittleEndian(next, p.NextToken);
            output.Write(next);
            output.Write(MemoryMarshal.AsBytes(p.LogProbabilities.Span));
            written++;
        }
        return written;
    }

    /// <summary>
    /// Checks the header against this evaluation and returns a reader of its rows, in the order they were written.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a base file, is truncated, or belongs to other text, another cut or another vocabulary (the message says which).</exception>
    public static IEnumerable<(int NextToken, float[] LogProbabilities)> Read(Stream input, string name, int vocab, TextChunks chunks, IReadOnlyList<int> tokens)
    {
        var header = new byte[HeaderBytes];
        if (input.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes || !header.AsSpan(0, 8).SequenceEqual(Magic))
            throw new InvalidDataException($"{name}: not a base distribution file (written by eval kld --save-base)");
        int version = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
        if (version != Version) throw new InvalidDataException($"{name}: version {version}, this build reads version {Version}");
        int fileVocab = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
        int context = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(16));
        int stride = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(20));
        int count = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(24));
        if (fileVocab != vocab) throw new InvalidDataException($"{name}: saved for a vocabulary of {fileVocab}, the candidate has {vocab}");
        if (context != chunks.Context || stride != chunks.Stride)
            throw new InvalidDataException($"{name}: saved with --ctx {context} --stride {stride}, this run uses --ctx {chunks.Context} --stride {chunks.Stride}");
        if (count != tokens.Count || !header.AsSpan(28, 32).SequenceEqual(TokenHash(tokens)))
            throw new InvalidDataException($"{name}: saved for other text ({count} tokens) than this run's {tokens.Count} tokens");
        return Rows(input, name, vocab);
    }

    private static IEnumerable<(int, float[])> Rows(Stream input, string name, int vocab)
    {
        var next = new byte[4];
        while (true)
        {
            int got = input.ReadAtLeast(next, 4, throwOnEndOfStream: false);
            if (got == 0) yield break;
            var row = new float[vocab];
            if (got < 4 || input.ReadAtLeast(MemoryMarshal.AsBytes(row.AsSpan()), vocab * 4, throwOnEndOfStream: false) < vocab * 4)
                throw new InvalidDataException($"{name}: truncated inside a row");
            yield return (BinaryPrimitives.ReadInt32LittleEndian(next), row);
        }
    }
}
