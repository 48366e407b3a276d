using System.Text;
using System.Text.Json;
using Transformer.Loader;
using Transformer.Tokenizers.HuggingFace;

namespace Transformer.Tokenizers.WordPiece;

/// <summary>
/// BERT's WordPiece tokenizer, from a <c>tokenizer.json</c> with a WordPiece model or a bare <c>vocab.txt</c>: special
/// tokens matched verbatim, <see cref="BertNormalizer"/>, <see cref="BertPreTokenizer"/>, then per word the longest
/// vocabulary piece first, continuations spelled with "##"; a word with no spelling, or longer than
/// max_input_chars_per_word, is [UNK]. Encoders take <see cref="HuggingFaceTokenizer.EncodeWithSpecialTokens"/> ([CLS] ... [SEP]) or
/// <see cref="EncodePair"/> (with token type ids).
/// </summary>
public sealed class WordPieceTokenizer : HuggingFaceTokenizer
{
    private static readonly string[] BertSpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _words;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _continuations;
    private readonly int _unk;
    private readonly int _maxCharsPerWord;
    private readonly Func<string, string> _normalize;
    private readonly string _prefix;

    private WordPieceTokenizer(Dictionary<string, int> vocab, string unkToken, string prefix, int maxCharsPerWord, AddedTokens added,
        Func<string, string> normalize, Func<Func<string, int?>, PostProcessorTemplate> template, DecoderChain decoder, string sourceName)
    {
        _prefix = prefix;
        _unk = vocab.TryGetValue(unkToken, out int unk) ? unk : throw new ModelFormatException($"{sourceName}: unk_token \"{InputQuote.Cap(unkToken)}\" is not in the vocabulary.");
        _maxCharsPerWord = maxCharsPerWord;
        Added = added;
        _normalize = normalize;
        Decoder = decoder;

        var words = new Dictionary<string, int>(StringComparer.Ordinal);
        var continuations = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach ((string piece, int id) in vocab)
        {
            if (id < 0 || id > ByteLevelBpeTokenizer.MaxTokenId)
            {
                throw new ModelFormatException($"{sourceName}: piece \"{InputQuote.Cap(piece)}\" has id {id}; token ids run from 0 to at most {ByteLevelBpeTokenizer.MaxTokenId}.");
            }

            words[piece] = id;
            if (prefix.Length > 0 && piece.StartsWith(prefix, StringComparison.Ordinal))
            {
                continuations[piece[prefix.Length..]] = id;
            }
        }

        _words = words.GetAlternateLookup<ReadOnlySpan<char>>();
        _continuations = continuations.GetAlternateLookup<ReadOnlySpan<char>>();

        (Pieces, Special) = BuildPieces(vocab, added, VocabSizeOf(vocab.Values, added));
        Template = template(ContentLookup(added, vocab));
        // [CLS] is what the post-processor puts first, [SEP] what it puts last.
        BosId = Template.First;
        EosIds = Template.After.Length > 0 ? [Template.After[^1]] : [];
    }

    /// <summary>Loads a <c>tokenizer.json</c> whose model is WordPiece.</summary>
    /// <exception cref="ModelFormatException">The data is malformed or uses a part this class does not read.</exception>
    public static WordPieceTokenizer FromJson(byte[] utf8Json, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        try
        {
            using JsonDocument document = JsonDocument.Parse(utf8Json);
            JsonElement root = document.RootElement;
            JsonElement model = root.GetProperty("model");
            if (model.GetProperty("type").GetString() != "WordPiece")
            {
                throw new ModelFormatException($"{sourceName}: model type \"{InputQuote.Cap(model.GetProperty("type").GetString() ?? "")}\" is not WordPiece.");
            }

            var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (JsonProperty entry in model.GetProperty("vocab").EnumerateObject())
            {
                vocab[entry.Name] = entry.Value.GetInt32();
            }

            if (vocab.Count == 0)
            {
                throw new ModelFormatException($"{sourceName}: the WordPiece vocabulary is empty.");
            }

            string unk = model.TryGetProperty("unk_token", out JsonElement u) ? u.GetString()! : "[UNK]";
            string prefix = model.TryGetProperty("continuing_subword_prefix", out JsonElement p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "##";
            int maxChars = model.TryGetProperty("max_input_chars_per_word", out JsonElement m) ? m.GetInt32() : 100;
            Func<string, string> normalize = ParseNormalizer(root, sourceName);
            RequireBertPreTokenizer(root, sourceName);
            return new WordPieceTokenizer(vocab, unk, prefix, maxChars, AddedTokens.Parse(root), normalize,
                idOf => PostProcessorTemplate.Parse(root, idOf, sourceName), DecoderChain.Parse(root, sourceName), sourceName);
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{sourceName}: not valid JSON: {e.Message}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException or IndexOutOfRangeException)
        {
            throw new ModelFormatException($"{sourceName}: not a valid WordPiece tokenizer.json: {e.Message}", e);
        }
    }

    /// <summary>
    /// Loads a BERT <c>vocab.txt</c> (one piece per line, the line number its id) as Hugging Face's BertTokenizerFast
    /// builds it: lowercasing (with accent stripping) unless the tokenizer_config.json beside it says
    /// <c>"do_lower_case": false</c>, [CLS] ... [SEP] around a sequence, the WordPiece decoder.
    /// </summary>
    /// <exception cref="ModelFormatException">The file is empty or lacks [UNK], [CLS] or [SEP].</exception>
    public static WordPieceTokenizer FromVocabTxt(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        int id = 0;
        foreach (string line in File.ReadLines(path, Encoding.UTF8))
        {
            vocab.TryAdd(line.TrimEnd('\r'), id++);
        }

        foreach (string required in (string[])["[UNK]", "[CLS]", "[SEP]"])
        {
            if (!vocab.ContainsKey(required))
            {
                throw new ModelFormatException($"{path}: a BERT vocab.txt has {required}; this one does not ({vocab.Count} lines).");
            }
        }

        (bool lowercase, bool chinese, bool? stripAccents) = BertOptionsFromConfig(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".");
        var normalizer = new BertNormalizer(cleanText: true, chinese, stripAccents, lowercase);
        AddedTokens added = AddedTokens.Of([.. BertSpecialTokens.Where(vocab.ContainsKey).Select(t => new AddedToken(vocab[t], t, Special: true))]);
        return new WordPieceTokenizer(vocab, "[UNK]", "##", 100, added, normalizer.Normalize,
            _ => PostProcessorTemplate.Bert(vocab["[CLS]"], vocab["[SEP]"]), DecoderChain.WordPiece("##", cleanup: true), path);
    }

    /// <summary>
    /// A pair as Hugging Face encodes it with special tokens ([CLS] A [SEP] B [SEP] for BERT), with the token type
    /// ids: 0 up to and including the separator after A, 1 after.
    /// </summary>
    public (IReadOnlyList<int> Ids, IReadOnlyList<int> TypeIds) EncodePair(string first, string second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        var ids = new List<int>(Template.Before);
        EncodeText(first, ids);
        ids.AddRange(Template.PairBetween);
        int firstLength = ids.Count;
        EncodeText(second, ids);
        ids.AddRange(Template.PairAfter);
        return (ids, [.. Enumerable.Repeat(0, firstLength), .. Enumerable.Repeat(1, ids.Count - firstLength)]);
    }

    /// <summary>
    /// A continuation piece joins the word before it; any other piece starts a new word after a space, except at the
    /// start and right after a special token. Special tokens yield nothing.
    /// </summary>
    public override ReadOnlySpan<byte> DecodeBytes(int previousToken, int token)
    {
        string piece = PieceOf(token);
        if (Special[token])
        {
            return [];
        }

        if (piece.StartsWith(_prefix, StringComparison.Ordinal) && _prefix.Length > 0)
        {
            return Encoding.UTF8.GetBytes(piece[_prefix.Length..]);
        }

        bool atStart = previousToken < 0 || ((uint)previousToken < (uint)Special.Length && Special[previousToken]);
        return Encoding.UTF8.GetBytes(atStart ? piece : " " + piece);
    }

    private protected override void EncodeSegment(string segment, List<int> ids)
    {
        foreach (string word in BertPreTokenizer.Words(_normalize(segment)))
        {
            EncodeWord(word, ids);
        }
    }

    // Longest vocabulary piece first, from each position; a word with a position no piece starts is one [UNK].
    private void EncodeWord(string word, List<int> ids)
    {
        int chars = 0;
        foreach (Rune _ in word.EnumerateRunes())
        {
            if (++chars > _maxCharsPerWord)
            {
                ids.Add(_unk);
                return;
            }
        }

        int mark = ids.Count;
        int start = 0;
        while (start < word.Length)
        {
            int end = word.Length;
            int found = -1;
            while (start < end)
            {
                ReadOnlySpan<char> piece = word.AsSpan(start, end - start);
                if ((start == 0 ? _words : _continuations).TryGetValue(piece, out int id))
                {
                    found = id;
                    break;
                }

                end -= end >= 2 && char.IsLowSurrogate(word[end - 1]) && char.IsHighSurrogate(word[end - 2]) ? 2 : 1;
            }

            if (found < 0)
            {
                ids.RemoveRange(mark, ids.Count - mark);
                ids.Add(_unk);
                return;
            }

            ids.Add(found);
            start = end;
        }
    }

    private static Func<string, string> ParseNormalizer(JsonElement root, string sourceName)
    {
        if (root.TryGetProperty("normalizer", out JsonElement n) && n.ValueKind == JsonValueKind.Object
            && n.TryGetProperty("type", out JsonElement t) && t.GetString() == "BertNormalizer")
        {
            bool Flag(string name, bool fallback) => n.TryGetProperty(name, out JsonElement v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;
            bool? strip = n.TryGetProperty("strip_accents", out JsonElement s) && s.ValueKind is JsonValueKind.True or JsonValueKind.False ? s.GetBoolean() : null;
            return new BertNormalizer(Flag("clean_text", true), Flag("handle_chinese_chars", true), strip, Flag("lowercase", true)).Normalize;
        }

        return TokenizerJsonNormalizer.Parse(root.TryGetProperty("normalizer", out JsonElement other) ? other : default, sourceName);
    }

    private static void RequireBertPreTokenizer(JsonElement root, string sourceName)
    {
        string type = root.TryGetProperty("pre_tokenizer", out JsonElement p) && p.ValueKind == JsonValueKind.Object && p.TryGetProperty("type", out JsonElement t)
            ? t.GetString() ?? "" : "none";
        if (type != "BertPreTokenizer")
        {
            throw new ModelFormatException($"{sourceName}: pre_tokenizer \"{InputQuote.Cap(type)}\" is not supported with a WordPiece model (BertPreTokenizer is).");
        }
    }

    // tokenizer_config.json's do_lower_case (default true), tokenize_chinese_chars (true), strip_accents (as lowercasing).
    private static (bool Lowercase, bool Chinese, bool? StripAccents) BertOptionsFromConfig(string folder)
    {
        string path = Path.Combine(folder, "tokenizer_config.json");
        if (!File.Exists(path))
        {
            return (true, true, null);
        }

        try
        {
            using JsonDocument config = JsonDocument.Parse(File.ReadAllBytes(path));
            JsonElement root = config.RootElement;
            bool? Flag(string name) => root.TryGetProperty(name, out JsonElement v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
            return (Flag("do_lower_case") ?? true, Flag("tokenize_chinese_chars") ?? true, Flag("strip_accents"));
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{path}: not valid JSON: {e.Message}", e);
        }
    }
}
