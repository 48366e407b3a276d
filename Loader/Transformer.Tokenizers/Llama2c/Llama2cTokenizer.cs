using System.Text;
using Transformer.Loader;
using Transformer.Loader.Tokenization;
using Transformer.Tokenizers.Bpe;

namespace Transformer.Tokenizers.Llama2c;

/// <summary>
/// The tokenizer of llama2.c's <c>run.c</c>, reading its <c>tokenizer.bin</c> export. Encoding follows
/// run.c's <c>encode</c> exactly: a dummy-prefix space when the text is non-empty, one piece per UTF-8
/// character (a character without a piece falls back to byte ids, byte + 3), then greedy merging of the
/// adjacent pair whose concatenation is the highest-scoring piece. Unlike SentencePiece it keeps runs of
/// spaces. Decoding follows run.c's <c>decode</c>.
/// </summary>
public sealed class Llama2cTokenizer : ITokenizer
{
    /// <summary>The id of the first byte-fallback piece (<c>&lt;0x00&gt;</c>); byte b has id b + 3.</summary>
    public const int FirstByteId = 3;

    private const int BeginningOfSentenceId = 1;
    private const int EndOfSentenceId = 2;

    // Pieces as Latin-1 strings: one char per byte, so byte-exact keys without decoding UTF-8.
    private readonly string[] _pieces;
    private readonly float[] _scores;
    private readonly Dictionary<string, int> _idByPiece;
    private readonly byte[][] _decodedBytes;
    private readonly int _dummyPrefixId;

    private Llama2cTokenizer(Llama2cTokenizerFile file)
    {
        int count = file.Pieces.Length;
        _pieces = new string[count];
        _scores = file.Scores;
        _idByPiece = new Dictionary<string, int>(count, StringComparer.Ordinal);
        _decodedBytes = new byte[count][];
        for (int id = 0; id < count; id++)
        {
            _pieces[id] = Encoding.Latin1.GetString(file.Pieces[id]);
            // run.c binary-searches a sorted copy; with duplicate pieces any one may win. Keep the first.
            _idByPiece.TryAdd(_pieces[id], id);
            _decodedBytes[id] = DecodedBytesOf(id, file.Pieces[id]);
        }

        _dummyPrefixId = _idByPiece.GetValueOrDefault(" ", FirstByteId + ' ');
    }

    /// <summary>Reads a llama2.c tokenizer export from a file.</summary>
    /// <param name="path">The <c>tokenizer.bin</c>-style file.</param>
    /// <param name="expectedVocabSize">The model's vocabulary size, checked against the file when given.</param>
    /// <exception cref="ModelFormatException">The file is truncated or malformed.</exception>
    public static Llama2cTokenizer Load(string path, int? expectedVocabSize = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return FromBytes(File.ReadAllBytes(path), path, expectedVocabSize);
    }

    /// <summary>Reads a llama2.c tokenizer export held in memory.</summary>
    /// <param name="data">The file's bytes.</param>
    /// <param name="sourceName">Names the data in error messages.</param>
    /// <param name="expectedVocabSize">The model's vocabulary size, checked against the data when given.</param>
    /// <exception cref="ModelFormatException">The data is truncated or malformed.</exception>
    public static Llama2cTokenizer FromBytes(ReadOnlySpan<byte> data, string sourceName, int? expectedVocabSize = null)
        => new(Llama2cTokenizerFile.Read(data, sourceName, expectedVocabSize));

    /// <inheritdoc />
    public int VocabSize => _pieces.Length;

    /// <inheritdoc />
    public int? BosId => BeginningOfSentenceId;

    /// <inheritdoc />
    public IReadOnlyList<int> EosIds { get; } = [EndOfSentenceId];

    /// <inheritdoc />
    public IReadOnlyList<int> Encode(string text, bool addBos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<int>(text.Length + 2);
        if (addBos)
        {
            result.Add(BeginningOfSentenceId);
        }

        if (text.Length == 0)
        {
            return result;
        }

        var ids = new List<int>(text.Length + 1) { _dummyPrefixId };
        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune rune in text.EnumerateRunes())
        {
            // A lone surrogate enumerates as U+FFFD, which is what UTF-8 encoding of the string gives too.
            int length = rune.EncodeToUtf8(utf8);
            if (_idByPiece.TryGetValue(Encoding.Latin1.GetString(utf8[..length]), out int id))
            {
                ids.Add(id);
                continue;
            }

            foreach (byte b in utf8[..length])
            {
                ids.Add(b + FirstByteId);
            }
        }

        Span<int> merged = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids);
        int count = PairMerger.MergeAll(merged, TryMerge);
        result.AddRange(merged[..count]);
        return result;
    }

    /// <inheritdoc />
    public ReadOnlySpan<byte> DecodeBytes(int previousToken, int token)
    {
        if ((uint)token >= (uint)_pieces.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(token), token, $"Token id outside the vocabulary of {_pieces.Length}.");
        }

        ReadOnlySpan<byte> bytes = _decodedBytes[token];
        // run.c: "following BOS token, sentencepiece decoder strips any leading whitespace". The test is on the
        // stored piece, as run.c's (so "<0x20>" keeps its space); BOS and EOS decode to nothing whatever their
        // piece, which may start with a space too (found by fuzzing, tools/Fuzz).
        if (previousToken == BeginningOfSentenceId && _pieces[token].StartsWith(' ') && bytes.Length > 0)
        {
            bytes = bytes[1..];
        }

        return bytes;
    }

    private bool TryMerge(int leftId, int rightId, out int mergedId, out double rank)
    {
        if (_idByPiece.TryGetValue(string.Concat(_pieces[leftId], _pieces[rightId]), out mergedId))
        {
            rank = -_scores[mergedId]; // run.c merges the highest score first
            return true;
        }

        rank = 0;
        return false;
    }

    private static byte[] DecodedBytesOf(int id, byte[] piece)
    {
        // run.c would print BOS/EOS as their stored text ("\n<s>\n"); the contract here is that control
        // tokens produce no text.
        if (id is BeginningOfSentenceId or EndOfSentenceId)
        {
            return [];
        }

        return BytePiece.TryParse(Encoding.Latin1.GetString(piece), out byte value) ? [value] : piece;
    }
}
