using System.Text;
using System.Text.Json;
using Transformer.Loader;
using Transformer.Tokenizers.Bpe;

namespace Transformer.Tokenizers.HuggingFace;

/// <summary>
/// A SentencePiece-style Hugging Face <c>tokenizer.json</c> (Llama 2, Gemma, Mistral): added tokens matched verbatim,
/// a normalizer that turns spaces into ▁ (and may prepend one), an optional split at spaces, then BPE over
/// characters with merges by rank; a character missing from the vocabulary becomes its UTF-8 bytes as
/// <c>&lt;0xXX&gt;</c> pieces (byte_fallback), else the unknown piece (consecutive ones fused with fuse_unk).
/// </summary>
public sealed class CharacterBpeTokenizer : HuggingFaceTokenizer
{
    private static readonly string[] KnownEosContents = ["</s>", "<eos>", "<|endoftext|>", "<end_of_turn>"];

    private readonly Dictionary<string, int> _vocab;
    private readonly MergeTable _merges;
    private readonly bool _ignoreMerges;
    private readonly bool _byteFallback;
    private readonly int? _unk;
    private readonly bool _fuseUnk;
    private readonly int[] _byteIds;
    private readonly Func<string, string> _normalize;
    private readonly Func<string, IEnumerable<string>> _preTokenize;
    private readonly byte[][] _decodedBytes;
    private readonly bool _prependsSpace;

    private CharacterBpeTokenizer(JsonElement root, string sourceName)
    {
        JsonElement model = Required(root, "model", sourceName);
        string type = model.TryGetProperty("type", out JsonElement t) ? t.GetString() ?? "" : "BPE";
        if (type != "BPE")
        {
            throw new ModelFormatException($"{sourceName}: model type \"{InputQuote.Cap(type)}\" is not supported for a SentencePiece-style tokenizer.json; only BPE is.");
        }

        _vocab = [];
        foreach (JsonProperty entry in Required(model, "vocab", sourceName).EnumerateObject())
        {
            _vocab[entry.Name] = entry.Value.GetInt32();
        }

        _merges = new MergeTable(BpeMerges.Pairs(Required(model, "merges", sourceName), sourceName), _vocab, sourceName);
        _ignoreMerges = Flag(model, "ignore_merges");
        _byteFallback = Flag(model, "byte_fallback");
        _fuseUnk = Flag(model, "fuse_unk");
        _unk = model.TryGetProperty("unk_token", out JsonElement u) && u.ValueKind == JsonValueKind.String
            ? _vocab.TryGetValue(u.GetString()!, out int unkId) ? unkId : throw new ModelFormatException($"{sourceName}: unk_token \"{InputQuote.Cap(u.GetString()!)}\" is not in the vocabulary.")
            : null;
        _byteIds = new int[256];
        for (int b = 0; b < 256; b++)
        {
            _byteIds[b] = _vocab.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
        }

        Added = AddedTokens.Parse(root);
        JsonElement normalizer = root.TryGetProperty("normalizer", out JsonElement n) ? n : default;
        _normalize = TokenizerJsonNormalizer.Parse(normalizer, sourceName);
        _prependsSpace = normalizer.ValueKind == JsonValueKind.Object && normalizer.GetRawText().Contains("\"Prepend\"", StringComparison.Ordinal);
        _preTokenize = ParsePreTokenizer(root.TryGetProperty("pre_tokenizer", out JsonElement p) ? p : default, sourceName);
        Template = PostProcessorTemplate.Parse(root, ContentLookup(Added, _vocab), sourceName);
        Decoder = DecoderChain.Parse(root, sourceName);

        int vocabSize = VocabSizeOf(_vocab.Values, Added);
        if (vocabSize - 1 > ByteLevelBpeTokenizer.MaxTokenId || _vocab.Values.Any(v => v < 0) || Added.Tokens.Any(a => a.Id < 0))
        {
            throw new ModelFormatException($"{sourceName}: token ids must run from 0 to at most {ByteLevelBpeTokenizer.MaxTokenId}.");
        }

        (Pieces, Special) = BuildPieces(_vocab, Added, vocabSize);
        _decodedBytes = BuildDecodedBytes(vocabSize);
        BosId = Template.First ?? Added.IdOf("<s>") ?? Added.IdOf("<bos>");
        EosIds = [.. KnownEosContents.Select(Added.IdOf).OfType<int>().Take(1)];
    }

    /// <summary>Loads a SentencePiece-style <c>tokenizer.json</c> held in memory.</summary>
    /// <exception cref="ModelFormatException">The data is malformed or of a kind this class does not read.</exception>
    public static CharacterBpeTokenizer FromJson(byte[] utf8Json, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        try
        {
            using JsonDocument document = JsonDocument.Parse(utf8Json);
            return new CharacterBpeTokenizer(document.RootElement, sourceName);
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{sourceName}: not valid JSON: {e.Message}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException or IndexOutOfRangeException)
        {
            throw new ModelFormatException($"{sourceName}: not a valid tokenizer.json: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public override ReadOnlySpan<byte> DecodeBytes(int previousToken, int token)
    {
        if ((uint)token >= (uint)_decodedBytes.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(token), token, $"Token id outside the vocabulary of {_decodedBytes.Length}.");
        }

        // The space the normalizer prepended is dropped at the start and right after BOS, as SentencePiece does.
        ReadOnlySpan<byte> bytes = _decodedBytes[token];
        return _prependsSpace && (previousToken < 0 || previousToken == BosId) && bytes.Length > 0 && bytes[0] == (byte)' ' ? bytes[1..] : bytes;
    }

    private protected override void EncodeSegment(string segment, List<int> ids)
    {
        foreach (string word in _preTokenize(_normalize(segment)))
        {
            EncodeWord(word, ids);
        }
    }

    private void EncodeWord(string word, List<int> ids)
    {
        if (word.Length == 0)
        {
            return;
        }

        if (_ignoreMerges && _vocab.TryGetValue(word, out int whole))
        {
            ids.Add(whole);
            return;
        }

        var symbols = new List<int>(word.Length);
        bool lastWasUnk = false;
        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune rune in word.EnumerateRunes())
        {
            if (_vocab.TryGetValue(rune.ToString(), out int id))
            {
                symbols.Add(id);
                lastWasUnk = false;
                continue;
            }

            int length = rune.EncodeToUtf8(utf8);
            if (_byteFallback && utf8[..length].ToArray().All(b => _byteIds[b] >= 0))
            {
                foreach (byte b in utf8[..length])
                {
                    symbols.Add(_byteIds[b]);
                }

                lastWasUnk = false;
                continue;
            }

            if (_unk is int unk)
            {
                if (!(_fuseUnk && lastWasUnk))
                {
                    symbols.Add(unk);
                }

                lastWasUnk = true;
            }
        }

        int[] merged = [.. symbols];
        int count = PairMerger.MergeAll(merged, _merges.TryMerge);
        ids.AddRange(merged.AsSpan(0, count));
    }

    // None (the whole normalized text is one word), or a Split at a literal string that keeps it with the piece
    // before (Gemma: a no-op after spaces became ▁, kept for files that split earlier).
    private static Func<string, IEnumerable<string>> ParsePreTokenizer(JsonElement preTokenizer, string sourceName)
    {
        if (preTokenizer.ValueKind != JsonValueKind.Object)
        {
            return text => [text];
        }

        string type = preTokenizer.TryGetProperty("type", out JsonElement t) ? t.GetString() ?? "" : "";
        if (type == "Split" && preTokenizer.GetProperty("pattern").TryGetProperty("String", out JsonElement s)
            && preTokenizer.TryGetProperty("behavior", out JsonElement b) && b.GetString() == "MergedWithPrevious"
            && !(preTokenizer.TryGetProperty("invert", out JsonElement inv) && inv.ValueKind == JsonValueKind.True))
        {
            string separator = s.GetString()!;
            return text => SplitAfter(text, separator);
        }

        throw new ModelFormatException($"{sourceName}: pre_tokenizer \"{InputQuote.Cap(type)}\" is not supported for a SentencePiece-style tokenizer.json (none, or a Split at a string merged with the previous piece, are).");
    }

    private static IEnumerable<string> SplitAfter(string text, string separator)
    {
        int start = 0;
        for (int at = text.IndexOf(separator, StringComparison.Ordinal); at >= 0 && separator.Length > 0; at = text.IndexOf(separator, start, StringComparison.Ordinal))
        {
            yield return text[start..(at + separator.Length)];
            start = at + separator.Length;
        }

        if (start < text.Length)
        {
            yield return text[start..];
        }
    }

    private byte[][] BuildDecodedBytes(int vocabSize)
    {
        var bytes = new byte[vocabSize][];
        Array.Fill(bytes, []);
        foreach ((string piece, int id) in _vocab)
        {
            bytes[id] = piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>' && Array.IndexOf(_byteIds, id) is int b and >= 0
                ? [(byte)b]
                : Encoding.UTF8.GetBytes(piece.Replace('\u2581', ' '));
        }

        foreach (AddedToken token in Added.Tokens)
        {
            bytes[token.Id] = token.Special ? [] : Encoding.UTF8.GetBytes(token.Content.Replace('\u2581', ' '));
        }

        return bytes;
    }

    private static bool Flag(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.True;

    private static JsonElement Required(JsonElement e, string name, string sourceName)
        => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null
            ? value
            : throw new ModelFormatException($"{sourceName}: tokenizer.json has no \"{name}\".");
}
