using System.Text;
using Transformer.Loader;
using Transformer.Loader.Tokenization;
using Transformer.Tokenizers.Bpe;
using Transformer.Tokenizers.HuggingFace;

namespace Transformer.Tokenizers.Gguf;

/// <summary>
/// A GGUF <c>llama</c> tokenizer (<c>tokenizer.ggml.model = "llama"</c>: SentencePiece pieces, scores and types),
/// encoding as llama.cpp does for such a vocabulary: control, user-defined and unknown pieces written in the text
/// are matched first; each run of text between them gets a space in front when it starts the input or follows such
/// a piece (<c>tokenizer.ggml.add_space_prefix</c>, default true), spaces become ▁, the text is split into
/// characters, and the adjacent pair whose concatenation is the highest-scoring piece is merged until none is;
/// what is left without a piece is spelled as byte pieces (<c>&lt;0xNN&gt;</c>). Unlike SentencePiece's own
/// normalizer, runs of spaces are kept (as llama2.c's encoder keeps them).
/// </summary>
internal sealed class GgufSentencePieceTokenizer : ITokenizer
{
    private const char SpaceSymbol = '\u2581';
    // SentencePiece's default surface for the unknown piece, as the engine's other SentencePiece tokenizer decodes it.
    private const string UnknownSurface = " \u2047 ";

    private readonly string[] _pieces;
    private readonly float[] _scores;
    private readonly Dictionary<string, int> _idByPiece;
    private readonly int[] _byteIds;
    private readonly int _unknownId;
    private readonly bool _addSpacePrefix;
    private readonly AddedTokens _specials;
    private readonly byte[][] _decodedBytes;

    public GgufSentencePieceTokenizer(string[] pieces, float[] scores, GgufTokenType[] types, int? bosId, IReadOnlyList<int> eosIds,
        int? unknownId, bool addSpacePrefix, string sourceName)
    {
        _pieces = pieces;
        _scores = scores;
        _idByPiece = new Dictionary<string, int>(pieces.Length, StringComparer.Ordinal);
        for (int id = 0; id < pieces.Length; id++) _idByPiece.TryAdd(pieces[id], id); // duplicates: the first wins, as in llama.cpp's map

        _byteIds = new int[256];
        Array.Fill(_byteIds, -1);
        _decodedBytes = new byte[pieces.Length][];
        for (int id = 0; id < pieces.Length; id++)
        {
            if (types[id] == GgufTokenType.Byte)
            {
                if (!BytePiece.TryParse(pieces[id], out byte value))
                    throw new ModelFormatException($"{sourceName}: byte token {id} is spelled \"{InputQuote.Cap(pieces[id])}\", not <0xNN>");
                if (_byteIds[value] < 0) _byteIds[value] = id;
            }
            _decodedBytes[id] = types[id] switch
            {
                GgufTokenType.Control => [],
                GgufTokenType.Unknown => Encoding.UTF8.GetBytes(UnknownSurface),
                GgufTokenType.Byte => [BytePiece.TryParse(pieces[id], out byte b) ? b : (byte)0],
                _ => Encoding.UTF8.GetBytes(pieces[id].Replace(SpaceSymbol, ' ')),
            };
        }

        _unknownId = unknownId ?? Array.IndexOf(types, GgufTokenType.Unknown);
        _addSpacePrefix = addSpacePrefix;
        _specials = AddedTokens.Of([.. pieces.Select((piece, id) => (piece, id))
            .Where(p => types[p.id] is GgufTokenType.Control or GgufTokenType.UserDefined or GgufTokenType.Unknown && p.piece.Length > 0)
            .Select(p => new AddedToken(p.id, p.piece, Special: types[p.id] != GgufTokenType.UserDefined))]);
        BosId = bosId;
        EosIds = eosIds;
    }

    public int VocabSize => _pieces.Length;

    public int? BosId { get; }

    public IReadOnlyList<int> EosIds { get; }

    public IReadOnlyList<int> Encode(string text, bool addBos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        if (addBos && BosId is int bos) ids.Add(bos);
        bool afterSpecial = true; // the start of the input counts as following a special piece
        foreach ((string segment, int? specialId) in _specials.Split(text))
        {
            if (specialId is int id)
            {
                ids.Add(id);
                afterSpecial = true;
                continue;
            }
            string prefixed = _addSpacePrefix && afterSpecial ? " " + segment : segment;
            EncodeRun(prefixed.Replace(' ', SpaceSymbol), ids);
            afterSpecial = false;
        }
        return ids;
    }

    public ReadOnlySpan<byte> DecodeBytes(int previousToken, int token)
    {
        if ((uint)token >= (uint)_decodedBytes.Length)
            throw new ArgumentOutOfRangeException(nameof(token), token, $"Token id outside the vocabulary of {_decodedBytes.Length}.");
        ReadOnlySpan<byte> bytes = _decodedBytes[token];
        // The space added in front of the text shows up as the first piece's leading space.
        if (previousToken == BosId && _addSpacePrefix && bytes.Length > 0 && bytes[0] == (byte)' ') bytes = bytes[1..];
        return bytes;
    }

    /// <summary>
    /// Characters, then merges by score. A character without a piece gets a temporary negative id standing for its
    /// text, so it can still merge with a neighbour into a piece, as in llama.cpp; left over, it becomes byte pieces.
    /// </summary>
    private void EncodeRun(string text, List<int> ids)
    {
        var unknownTexts = new List<string>();
        var symbols = new List<int>(text.Length);
        foreach (Rune rune in text.EnumerateRunes())
        {
            string character = rune.ToString();
            if (_idByPiece.TryGetValue(character, out int id)) symbols.Add(id);
            else
            {
                unknownTexts.Add(character);
                symbols.Add(-unknownTexts.Count);
            }
        }

        string TextOf(int id) => id >= 0 ? _pieces[id] : unknownTexts[-id - 1];
        bool TryMerge(int left, int right, out int merged, out double rank)
        {
            if (_idByPiece.TryGetValue(string.Concat(TextOf(left), TextOf(right)), out merged))
            {
                rank = -_scores[merged]; // the highest score merges first
                return true;
            }
            rank = 0;
            return false;
        }

        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(symbols);
        int count = PairMerger.MergeAll(span, TryMerge);
        foreach (int id in span[..count])
        {
            if (id >= 0)
            {
                ids.Add(id);
                continue;
            }
            foreach (byte b in Encoding.UTF8.GetBytes(unknownTexts[-id - 1]))
                ids.Add(_byteIds[b] >= 0 ? _byteIds[b] : _unknownId >= 0 ? _unknownId
                    : throw new ModelFormatException($"the vocabulary has neither a byte piece <0x{b:X2}> nor an unknown piece for text it cannot spell"));
        }
    }
}
