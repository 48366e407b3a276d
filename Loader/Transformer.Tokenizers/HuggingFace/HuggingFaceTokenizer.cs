namespace Transformer.Tokenizers.HuggingFace;

/// <summary>
/// What every <c>tokenizer.json</c> tokenizer here shares whatever its model (byte-level BPE, character BPE,
/// WordPiece): added tokens split out verbatim before the model sees the text, the post-processor's special tokens
/// around it, one piece per id with its special flag, and the file's decoder chain. A subclass sets these in its
/// constructor and supplies the model's step, <see cref="EncodeSegment"/>, and its byte decoding.
/// </summary>
public abstract class HuggingFaceTokenizer : IHuggingFaceTokenizer
{
    private protected HuggingFaceTokenizer()
    {
    }

    /// <summary>Tokens matched verbatim before normalization and pre-tokenization.</summary>
    private protected AddedTokens Added { get; init; } = AddedTokens.Of([]);

    /// <summary>The piece of each id: the vocabulary's spelling, or an added token's content.</summary>
    private protected string[] Pieces { get; init; } = [];

    /// <summary>Whether each id is a special added token (dropped by <see cref="Decode"/> when asked).</summary>
    private protected bool[] Special { get; init; } = [];

    /// <summary>The post-processor's special tokens.</summary>
    private protected PostProcessorTemplate Template { get; init; } = PostProcessorTemplate.None;

    /// <summary>The file's decoder chain.</summary>
    private protected DecoderChain Decoder { get; init; } = DecoderChain.ByteLevel;

    /// <inheritdoc />
    public int VocabSize => Pieces.Length;

    /// <inheritdoc />
    public int? BosId { get; private protected init; }

    /// <inheritdoc />
    public IReadOnlyList<int> EosIds { get; private protected init; } = [];

    /// <inheritdoc />
    public IReadOnlyList<int> Encode(string text, bool addBos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        if (addBos && BosId is int bos)
        {
            ids.Add(bos);
        }

        EncodeText(text, ids);
        return ids;
    }

    /// <inheritdoc />
    public IReadOnlyList<int> EncodeWithSpecialTokens(string text, bool addSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        EncodeText(text, ids);
        return addSpecialTokens ? Template.Wrap(ids) : ids;
    }

    /// <inheritdoc />
    public string PieceOf(int id) => (uint)id < (uint)Pieces.Length
        ? Pieces[id]
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id outside the vocabulary of {Pieces.Length}.");

    /// <inheritdoc />
    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return Decoder.Decode(ids.Where(id => !(skipSpecialTokens && Special[id])).Select(PieceOf));
    }

    /// <inheritdoc />
    public abstract ReadOnlySpan<byte> DecodeBytes(int previousToken, int token);

    /// <summary>Appends the ids of <paramref name="text"/>: added tokens as they are, the text between them through <see cref="EncodeSegment"/>.</summary>
    private protected void EncodeText(string text, List<int> ids)
    {
        foreach ((string segment, int? addedId) in Added.Split(WellFormedText.Of(text)))
        {
            if (addedId is int id)
            {
                ids.Add(id);
            }
            else
            {
                EncodeSegment(segment, ids);
            }
        }
    }

    /// <summary>The model's step: appends the ids of text holding no added token (normalized and pre-tokenized here).</summary>
    private protected abstract void EncodeSegment(string segment, List<int> ids);

    /// <summary>One more than the largest id of the vocabulary and the added tokens.</summary>
    private protected static int VocabSizeOf(IEnumerable<int> vocabIds, AddedTokens added) =>
        1 + Math.Max(vocabIds.DefaultIfEmpty(-1).Max(), added.Tokens.Select(a => a.Id).DefaultIfEmpty(-1).Max());

    /// <summary>The piece and special flag of every id (ids in neither table get "" and false); added tokens win.</summary>
    private protected static (string[] Pieces, bool[] Special) BuildPieces(IEnumerable<KeyValuePair<string, int>> vocab, AddedTokens added, int vocabSize)
    {
        var pieces = new string[vocabSize];
        Array.Fill(pieces, "");
        var special = new bool[vocabSize];
        foreach ((string piece, int id) in vocab)
        {
            pieces[id] = piece;
        }

        foreach (AddedToken token in added.Tokens)
        {
            pieces[token.Id] = token.Content;
            special[token.Id] = token.Special;
        }

        return (pieces, special);
    }

    /// <summary>The id of a token's content, as the post-processor names it: an added token first, else the vocabulary's.</summary>
    private protected static Func<string, int?> ContentLookup(AddedTokens added, IReadOnlyDictionary<string, int> vocab) =>
        content => added.IdOf(content) ?? (vocab.TryGetValue(content, out int id) ? id : null);
}
