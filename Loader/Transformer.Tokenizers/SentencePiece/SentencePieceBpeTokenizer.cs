using System.Text;
using Microsoft.ML.Tokenizers;
using Transformer.Loader;
using Transformer.Loader.Tokenization;
using Transformer.Tokenizers.HuggingFace;

namespace Transformer.Tokenizers.SentencePiece;

/// <summary>
/// A SentencePiece BPE model (<c>tokenizer.model</c>, as shipped with Llama 1/2 and llama2.c's
/// <c>tok*.model</c>), encoded by Microsoft.ML.Tokenizers' <see cref="LlamaTokenizer"/> with a fix for its
/// 2.0.1 normalizer (see <see cref="SentencePieceWhitespace"/>), so the ids equal SentencePiece's own.
/// BOS, EOS and the piece types come from the model. Control pieces and the unknown piece written in the
/// text (<c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>, <c>&lt;unk&gt;</c>, as chat templates write them) encode as their ids,
/// the text between them as separate segments, as Hugging Face's Llama tokenizers do; SentencePiece
/// itself would spell them out piece by piece.
/// </summary>
public sealed class SentencePieceBpeTokenizer : ITokenizer
{
    // SentencePiece's default surface for the unknown piece (TrainerSpec.unk_surface).
    private const string UnknownSurface = " \u2047 ";

    private readonly LlamaTokenizer _inner;
    private readonly SentencePieceWhitespace _whitespace;
    private readonly byte[][] _decodedBytes;
    private readonly int? _bosId;
    private readonly AddedTokens _specialPieces;

    private SentencePieceBpeTokenizer(LlamaTokenizer inner, SentencePieceEntry[] pieces, string sourceName)
    {
        _inner = inner;
        _whitespace = SentencePieceWhitespace.Of(inner);
        _decodedBytes = new byte[pieces.Length][];
        for (int id = 0; id < pieces.Length; id++)
        {
            _decodedBytes[id] = DecodedBytesOf(pieces[id], id, sourceName);
        }

        _specialPieces = AddedTokens.Of([.. pieces
            .Select((entry, id) => (entry, id))
            .Where(p => p.entry.Type is SentencePieceType.Control or SentencePieceType.Unknown && p.entry.Piece.Length > 0)
            .Select(p => new AddedToken(p.id, p.entry.Piece, Special: true))]);
        _bosId = IdOrNull(inner.BeginningOfSentenceId, pieces.Length);
        EosIds = IdOrNull(inner.EndOfSentenceId, pieces.Length) is int eos ? [eos] : [];
    }

    /// <summary>Loads a SentencePiece BPE model file.</summary>
    /// <param name="path">The <c>.model</c> file (a serialized <c>ModelProto</c>).</param>
    /// <exception cref="ModelFormatException">The file is not a SentencePiece BPE model.</exception>
    public static SentencePieceBpeTokenizer Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return FromBytes(File.ReadAllBytes(path), path);
    }

    /// <summary>Loads a SentencePiece BPE model held in memory.</summary>
    /// <param name="model">The serialized <c>ModelProto</c>.</param>
    /// <param name="sourceName">Names the data in error messages.</param>
    /// <exception cref="ModelFormatException">The data is not a SentencePiece BPE model.</exception>
    public static SentencePieceBpeTokenizer FromBytes(byte[] model, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(model);
        SentencePieceEntry[] pieces = SentencePieceModelPieces.Read(model, sourceName);
        LlamaTokenizer inner;
        try
        {
            using var stream = new MemoryStream(model, writable: false);
            inner = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is not ModelFormatException)
        {
            throw new ModelFormatException($"{sourceName}: Microsoft.ML.Tokenizers could not load it as a SentencePiece BPE model: {e.Message}", e);
        }

        return new SentencePieceBpeTokenizer(inner, pieces, sourceName);
    }

    /// <inheritdoc />
    public int VocabSize => _decodedBytes.Length;

    /// <inheritdoc />
    public int? BosId => _bosId;

    /// <inheritdoc />
    public IReadOnlyList<int> EosIds { get; }

    /// <inheritdoc />
    public IReadOnlyList<int> Encode(string text, bool addBos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<int>();
        // BOS is added here, not by the library: it drops BOS too when the normalized text is empty,
        // while SentencePiece still returns [BOS] for an empty or all-space input.
        if (addBos && _bosId is int bos)
        {
            result.Add(bos);
        }

        foreach ((string segment, int? specialId) in _specialPieces.Split(text))
        {
            if (specialId is int id)
            {
                result.Add(id);
                continue;
            }

            string normalized = _whitespace.Normalize(segment);
            if (normalized.Length > 0)
            {
                result.AddRange(_inner.EncodeToIds(normalized, addBeginningOfSentence: false, addEndOfSentence: false,
                    considerPreTokenization: false, considerNormalization: false));
            }
        }

        return result;
    }

    /// <inheritdoc />
    public ReadOnlySpan<byte> DecodeBytes(int previousToken, int token)
    {
        if ((uint)token >= (uint)_decodedBytes.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(token), token, $"Token id outside the vocabulary of {_decodedBytes.Length}.");
        }

        ReadOnlySpan<byte> bytes = _decodedBytes[token];
        // The dummy prefix SentencePiece adds to the text shows up as the first piece's leading space.
        if (previousToken == _bosId && bytes.Length > 0 && bytes[0] == (byte)' ')
        {
            bytes = bytes[1..];
        }

        return bytes;
    }

    private static byte[] DecodedBytesOf(SentencePieceEntry entry, int id, string sourceName) => entry.Type switch
    {
        SentencePieceType.Control => [],
        SentencePieceType.Unknown => Encoding.UTF8.GetBytes(UnknownSurface),
        SentencePieceType.Byte => BytePiece.TryParse(entry.Piece, out byte value)
            ? [value]
            : throw new ModelFormatException($"{sourceName}: byte piece {id} is spelled \"{InputQuote.Cap(entry.Piece)}\", not <0xNN>."),
        _ => Encoding.UTF8.GetBytes(entry.Piece.Replace(SentencePieceWhitespace.SpaceSymbol, ' ')),
    };

    private static int? IdOrNull(int id, int vocabSize) => id >= 0 && id < vocabSize ? id : null;
}
