using System.Globalization;
using System.Text;
using System.Text.Json;
using Transformer.Loader;
using Transformer.Loader.Tokenization;
using Transformer.Tokenizers.Bpe;

namespace Transformer.Tokenizers.HuggingFace;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> byte-level BPE tokenizer (GPT-2, Llama 3, SmolLM, Qwen 2 style):
/// added tokens matched verbatim, the file's split pattern (a Split step, or ByteLevel's GPT-2 pattern),
/// bytes spelled in GPT-2's byte alphabet, then BPE by merge rank.
/// <para>
/// Written here rather than on Microsoft.ML.Tokenizers' <c>BpeTokenizer</c>: its 2.0.1 options have no
/// <c>ignore_merges</c> (Llama 3 sets it, and it changes ids), take merges only as "a b" strings, and
/// match split patterns per UTF-16 unit, which splits words with supplementary-plane letters differently
/// from the Oniguruma-based original (see <see cref="CodePointRegex"/>). The BPE loop is shared with the
/// llama2.c tokenizer.
/// </para>
/// </summary>
public sealed class ByteLevelBpeTokenizer : HuggingFaceTokenizer
{
    private static readonly string[] KnownBosContents = ["<|begin_of_text|>", "<s>", "<|startoftext|>", "<bos>"];
    private static readonly string[] KnownEosContents = ["<|end_of_text|>", "<|endoftext|>", "</s>", "<|eot_id|>", "<|im_end|>", "<eos>"];

    private readonly Dictionary<string, int> _vocab;
    private readonly MergeTable _merges;
    private readonly bool _ignoreMerges;
    private readonly Func<string, string> _normalize;
    private readonly PreTokenizerPipeline _preTokenizer;
    private readonly byte[][] _decodedBytes;

    /// <summary>The parts of a byte-level BPE tokenizer, however they were stored (tokenizer.json, GGUF metadata).</summary>
    internal sealed record Parts
    {
        /// <summary>Byte-level-spelled piece → id.</summary>
        public required Dictionary<string, int> Vocab { get; init; }
        /// <summary>Merges in rank order, as pairs of byte-level-spelled pieces.</summary>
        public required IEnumerable<(string Left, string Right)> Merges { get; init; }
        /// <summary>Whether a word that is itself a piece skips merging (Llama 3).</summary>
        public bool IgnoreMerges { get; init; }
        /// <summary>Tokens matched verbatim before pre-tokenization.</summary>
        public required AddedTokens Added { get; init; }
        /// <summary>The normalizer.</summary>
        public Func<string, string> Normalize { get; init; } = text => text;
        /// <summary>The pre-tokenizer.</summary>
        public required PreTokenizerPipeline PreTokenizer { get; init; }
        /// <summary>
        /// The special tokens Hugging Face's encode adds, given a lookup of token content to id (none for a source
        /// without a post_processor). Read after the ids are checked, so a bad id is reported as such.
        /// </summary>
        public Func<Func<string, int?>, PostProcessorTemplate>? Template { get; init; }
        /// <summary>The decoder chain; by default ByteLevel's.</summary>
        public Func<DecoderChain>? Decoder { get; init; }
    }

    private ByteLevelBpeTokenizer(Parts parts, string sourceName, Func<ByteLevelBpeTokenizer, int?> bosId, IReadOnlyList<int>? eosIds)
    {
        _vocab = parts.Vocab;
        RequireByteAlphabet(sourceName);
        _merges = new MergeTable(parts.Merges, _vocab, sourceName);
        _ignoreMerges = parts.IgnoreMerges;
        Added = parts.Added;
        _normalize = parts.Normalize;
        _preTokenizer = parts.PreTokenizer;

        foreach ((string piece, int id) in _vocab)
        {
            RequireTokenId(id, $"vocabulary piece \"{InputQuote.Cap(piece)}\"", sourceName);
        }

        foreach (AddedToken token in Added.Tokens)
        {
            RequireTokenId(token.Id, $"added token \"{InputQuote.Cap(token.Content)}\"", sourceName);
        }

        int vocabSize = VocabSizeOf(_vocab.Values, Added);
        _decodedBytes = BuildDecodedBytes(vocabSize);
        (Pieces, Special) = BuildPieces(_vocab, Added, vocabSize);
        Template = parts.Template?.Invoke(ContentLookup(Added, _vocab)) ?? PostProcessorTemplate.None;
        Decoder = parts.Decoder?.Invoke() ?? DecoderChain.ByteLevel;

        BosId = bosId(this);
        EosIds = eosIds ?? [.. KnownEosContents.Select(Added.IdOf).OfType<int>()];
        foreach (int id in EosIds.Append(BosId ?? 0))
        {
            if ((uint)id >= (uint)vocabSize)
            {
                throw new ModelFormatException($"{sourceName}: special token id {id} is outside the vocabulary of {vocabSize}.");
            }
        }
    }

    /// <summary>A tokenizer from its parts; <paramref name="bosId"/> and <paramref name="eosIds"/> as the source says.</summary>
    internal static ByteLevelBpeTokenizer FromParts(Parts parts, string sourceName, int? bosId, IReadOnlyList<int> eosIds)
        => new(parts, sourceName, _ => bosId, eosIds);

    private static ByteLevelBpeTokenizer FromTokenizerJson(JsonElement root, string sourceName, int? bosId, IReadOnlyList<int>? eosIds)
    {
        JsonElement model = Required(root, "model", sourceName);
        string type = model.TryGetProperty("type", out JsonElement t) ? t.GetString() ?? "" : "BPE";
        if (type != "BPE")
        {
            throw new ModelFormatException($"{sourceName}: model type \"{InputQuote.Cap(type)}\" is not supported; only BPE is.");
        }

        var vocab = new Dictionary<string, int>();
        foreach (JsonProperty entry in Required(model, "vocab", sourceName).EnumerateObject())
        {
            vocab[entry.Name] = entry.Value.GetInt32();
        }

        var parts = new Parts
        {
            Vocab = vocab,
            Merges = BpeMerges.Pairs(Required(model, "merges", sourceName), sourceName),
            IgnoreMerges = model.TryGetProperty("ignore_merges", out JsonElement im) && im.ValueKind == JsonValueKind.True,
            Added = AddedTokens.Parse(root),
            Normalize = TokenizerJsonNormalizer.Parse(root.TryGetProperty("normalizer", out JsonElement n) ? n : default, sourceName),
            PreTokenizer = PreTokenizerPipeline.Parse(Required(root, "pre_tokenizer", sourceName), sourceName),
            Decoder = () => DecoderChain.Parse(root, sourceName),
            Template = idOf => PostProcessorTemplate.Parse(root, idOf, sourceName),
        };
        return new ByteLevelBpeTokenizer(parts, sourceName,
            self => bosId ?? self.BosFromPostProcessor(root) ?? KnownBosContents.Select(self.Added.IdOf).FirstOrDefault(id => id is not null), eosIds);
    }

    /// <summary>
    /// Ids above this are refused: the decoding table has one entry per id up to the largest, and real vocabularies
    /// stay in the hundreds of thousands, so a corrupt id cannot demand gigabytes.
    /// </summary>
    public const int MaxTokenId = (1 << 22) - 1;

    /// <summary>Loads a <c>tokenizer.json</c> file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="bosId">BOS id from the model's config; when null it comes from the file's post_processor or added tokens.</param>
    /// <param name="eosIds">EOS ids from the model's config; when null, the file's well-known end tokens present in added_tokens.</param>
    /// <exception cref="ModelFormatException">The file is malformed or not a byte-level BPE tokenizer.</exception>
    public static ByteLevelBpeTokenizer Load(string path, int? bosId = null, IReadOnlyList<int>? eosIds = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return FromJson(File.ReadAllBytes(path), path, bosId, eosIds);
    }

    /// <summary>Loads a <c>tokenizer.json</c> held in memory.</summary>
    /// <param name="utf8Json">The file's bytes.</param>
    /// <param name="sourceName">Names the data in error messages.</param>
    /// <param name="bosId">BOS id from the model's config; when null it comes from the file.</param>
    /// <param name="eosIds">EOS ids from the model's config; when null they come from the file.</param>
    /// <exception cref="ModelFormatException">The data is malformed or not a byte-level BPE tokenizer.</exception>
    public static ByteLevelBpeTokenizer FromJson(byte[] utf8Json, string sourceName, int? bosId = null, IReadOnlyList<int>? eosIds = null)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json);
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{sourceName}: not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            try
            {
                return FromTokenizerJson(document.RootElement, sourceName, bosId, eosIds);
            }
            catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException)
            {
                throw new ModelFormatException($"{sourceName}: not a valid tokenizer.json: {e.Message}", e);
            }
        }
    }

    private protected override void EncodeSegment(string segment, List<int> ids)
    {
        foreach (string word in _preTokenizer.Words(_normalize(segment)))
        {
            EncodeWord(word, ids);
        }
    }

    /// <inheritdoc />
    public override ReadOnlySpan<byte> DecodeBytes(int previousToken, int token)
    {
        if ((uint)token >= (uint)_decodedBytes.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(token), token, $"Token id outside the vocabulary of {_decodedBytes.Length}.");
        }

        // Byte-level BPE adds no dummy prefix, so nothing is dropped after BOS.
        return _decodedBytes[token];
    }

    private void EncodeWord(string word, List<int> ids)
    {
        if (_ignoreMerges && _vocab.TryGetValue(word, out int whole))
        {
            ids.Add(whole);
            return;
        }

        var symbols = new int[word.Length];
        for (int i = 0; i < word.Length; i++)
        {
            symbols[i] = _vocab[word[i].ToString()]; // every alphabet character is in the vocabulary (checked at load)
        }

        int count = PairMerger.MergeAll(symbols, _merges.TryMerge);
        ids.AddRange(symbols.AsSpan(0, count));
    }

    private static void RequireTokenId(int id, string what, string sourceName)
    {
        if (id < 0 || id > MaxTokenId)
        {
            throw new ModelFormatException(string.Create(CultureInfo.InvariantCulture, $"{sourceName}: {what} has id {id}; token ids run from 0 to at most {MaxTokenId:N0}."));
        }
    }

    private void RequireByteAlphabet(string sourceName)
    {
        for (int b = 0; b < 256; b++)
        {
            string spelled = ByteLevelAlphabet.Spell([(byte)b]);
            if (!_vocab.ContainsKey(spelled))
            {
                throw new ModelFormatException($"{sourceName}: vocabulary lacks \"{spelled}\" (byte 0x{b:X2}); a byte-level BPE vocabulary has all 256 byte characters.");
            }
        }
    }

    private byte[][] BuildDecodedBytes(int vocabSize)
    {
        var decoded = new byte[vocabSize][];
        Array.Fill(decoded, []);
        foreach ((string piece, int id) in _vocab)
        {
            decoded[id] = Unspell(piece);
        }

        // Added tokens outside the BPE vocabulary are written as they are; special ones (control tokens) not at all.
        foreach (AddedToken token in Added.Tokens)
        {
            decoded[token.Id] = token.Special ? [] : Encoding.UTF8.GetBytes(token.Content);
        }

        return decoded;
    }

    private static byte[] Unspell(string piece)
    {
        var bytes = new List<byte>(piece.Length);
        foreach (char c in piece)
        {
            if (ByteLevelAlphabet.TryGetByte(c, out byte b))
            {
                bytes.Add(b);
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }

        return [.. bytes];
    }

    private int? BosFromPostProcessor(JsonElement root)
    {
        // TemplateProcessing's "single" template starts with the BOS special token when the model uses one
        // (Llama 3: [SpecialToken <|begin_of_text|>, Sequence A]); it may sit inside a Sequence processor.
        if (!root.TryGetProperty("post_processor", out JsonElement processor) || processor.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        IEnumerable<JsonElement> processors = processor.TryGetProperty("processors", out JsonElement list) ? list.EnumerateArray() : [processor];
        foreach (JsonElement p in processors)
        {
            if (!p.TryGetProperty("single", out JsonElement single) || single.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (JsonElement item in single.EnumerateArray())
            {
                if (item.TryGetProperty("Sequence", out _))
                {
                    break;
                }

                if (item.TryGetProperty("SpecialToken", out JsonElement special))
                {
                    string name = special.GetProperty("id").GetString()!;
                    if (p.TryGetProperty("special_tokens", out JsonElement specials) && specials.TryGetProperty(name, out JsonElement entry)
                        && entry.TryGetProperty("ids", out JsonElement ids) && ids.GetArrayLength() > 0)
                    {
                        return ids[0].GetInt32();
                    }

                    return ContentLookup(Added, _vocab)(name);
                }
            }
        }

        return null;
    }

    private static JsonElement Required(JsonElement e, string name, string sourceName)
        => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null
            ? value
            : throw new ModelFormatException($"{sourceName}: tokenizer.json has no \"{name}\".");
}
