using Transformer.Loader;
using Transformer.Loader.Gguf;
using Transformer.Loader.Tokenization;
using Transformer.Tokenizers.HuggingFace;

namespace Transformer.Tokenizers.Gguf;

/// <summary>
/// The tokenizer a GGUF file carries in its metadata (<c>tokenizer.ggml.*</c>): <c>llama</c> (SentencePiece pieces,
/// scores and types) or <c>gpt2</c> (byte-level BPE with merges and a pre-tokenizer named by
/// <c>tokenizer.ggml.pre</c>). BOS is the file's <c>bos_token_id</c> when <c>add_bos_token</c> says to add it
/// (default: yes for <c>llama</c>, no for <c>gpt2</c>, as in llama.cpp); EOS is <c>eos_token_id</c> with
/// <c>eot_token_id</c> and <c>eom_token_id</c>.
/// </summary>
public static class GgufTokenizer
{
    /// <summary>Values of <c>tokenizer.ggml.model</c> this engine reads.</summary>
    public static IReadOnlyList<string> SupportedModels { get; } = ["llama", "gpt2"];

    /// <summary>
    /// <c>tokenizer.ggml.pre</c> values of <c>gpt2</c> tokenizers and the split pattern of each (null: GPT-2's own, inside
    /// ByteLevel), written as the Hugging Face tokenizer.json of those models writes them.
    /// </summary>
    private static readonly Dictionary<string, (string? Pattern, bool IgnoreMerges)> PreTokenizers = new(StringComparer.Ordinal)
    {
        ["gpt-2"] = (null, false),
        ["llama-bpe"] = (@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+", true),
        ["qwen2"] = (@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+", false),
    };

    /// <summary>Supported <c>tokenizer.ggml.pre</c> values, for messages and docs.</summary>
    public static IReadOnlyList<string> SupportedPreTokenizers { get; } = [.. PreTokenizers.Keys];

    /// <summary>Opens <paramref name="path"/> and reads its tokenizer.</summary>
    /// <exception cref="ModelFormatException">The file or its tokenizer metadata is malformed or of a kind not supported.</exception>
    public static ITokenizer Load(string path)
    {
        using var file = GgufFile.Open(path);
        return FromFile(file);
    }

    /// <summary>The tokenizer in <paramref name="file"/>'s metadata.</summary>
    /// <exception cref="ModelFormatException">The metadata is missing, inconsistent or of a kind not supported.</exception>
    public static ITokenizer FromFile(GgufFile file)
    {
        var m = file.Metadata;
        string source = file.FilePath;
        string model = m.OptionalString("tokenizer.ggml.model")
            ?? throw new ModelFormatException($"{source}: the file holds no tokenizer (tokenizer.ggml.model is missing); pass a tokenizer file");
        string[] tokens = m.OptionalStringArray("tokenizer.ggml.tokens")
            ?? throw new ModelFormatException($"{source}: tokenizer.ggml.tokens is missing");
        if (tokens.Length == 0) throw new ModelFormatException($"{source}: tokenizer.ggml.tokens is empty");
        if (tokens.Length > ByteLevelBpeTokenizer.MaxTokenId + 1)
            throw new ModelFormatException($"{source}: {tokens.Length} tokens; at most {ByteLevelBpeTokenizer.MaxTokenId + 1} are supported");
        var types = TokenTypes(m, tokens.Length, source);

        int? TokenId(string key)
        {
            int? id = m.OptionalInt(key);
            if (id is int value && (value < 0 || value >= tokens.Length))
                throw new ModelFormatException($"{source}: {key} {value} is outside the vocabulary of {tokens.Length}");
            return id;
        }
        int? bos = TokenId("tokenizer.ggml.bos_token_id");
        int[] eos = [.. new[] { "tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id" }
            .Select(TokenId).OfType<int>().Distinct()];

        switch (model)
        {
            case "llama":
                float[] scores = m.OptionalFloatArray("tokenizer.ggml.scores") ?? new float[tokens.Length];
                if (scores.Length != tokens.Length)
                    throw new ModelFormatException($"{source}: tokenizer.ggml.scores has {scores.Length} entries for {tokens.Length} tokens");
                bool addBos = m.OptionalBool("tokenizer.ggml.add_bos_token") ?? true;
                return new GgufSentencePieceTokenizer(tokens, scores, types, addBos ? bos : null, eos,
                    TokenId("tokenizer.ggml.unknown_token_id"), m.OptionalBool("tokenizer.ggml.add_space_prefix") ?? true, source);
            case "gpt2":
                return ByteLevel(m, tokens, types, (m.OptionalBool("tokenizer.ggml.add_bos_token") ?? false) ? bos : null, eos, source);
            default:
                throw new ModelFormatException(
                    $"{source}: tokenizer.ggml.model '{InputQuote.Cap(model)}' is not supported; supported: {string.Join(", ", SupportedModels)}");
        }
    }

    private static GgufTokenType[] TokenTypes(GgufMetadata m, int count, string source)
    {
        int[]? stored = m.OptionalIntArray("tokenizer.ggml.token_type");
        if (stored is null) return Enumerable.Repeat(GgufTokenType.Normal, count).ToArray();
        if (stored.Length != count)
            throw new ModelFormatException($"{source}: tokenizer.ggml.token_type has {stored.Length} entries for {count} tokens");
        var types = new GgufTokenType[count];
        for (int i = 0; i < count; i++)
            types[i] = stored[i] is >= 1 and <= 6
                ? (GgufTokenType)stored[i]
                : throw new ModelFormatException($"{source}: tokenizer.ggml.token_type[{i}] is {stored[i]}; token types run from 1 to 6");
        return types;
    }

    private static ByteLevelBpeTokenizer ByteLevel(GgufMetadata m, string[] tokens, GgufTokenType[] types, int? bos, int[] eos, string source)
    {
        string pre = m.OptionalString("tokenizer.ggml.pre") ?? "gpt-2";
        if (!PreTokenizers.TryGetValue(pre, out var split))
            throw new ModelFormatException(
                $"{source}: tokenizer.ggml.pre '{InputQuote.Cap(pre)}' is not supported; supported: {string.Join(", ", SupportedPreTokenizers)}");
        string[] merges = m.OptionalStringArray("tokenizer.ggml.merges")
            ?? throw new ModelFormatException($"{source}: a gpt2 tokenizer needs tokenizer.ggml.merges, and there is none");

        var vocab = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        var added = new List<AddedToken>();
        for (int id = 0; id < tokens.Length; id++)
        {
            // Control and user-defined tokens are stored as their text (not byte-level spelled), like added_tokens.
            if (types[id] is GgufTokenType.Control or GgufTokenType.UserDefined)
            {
                if (tokens[id].Length > 0) added.Add(new AddedToken(id, tokens[id], Special: types[id] == GgufTokenType.Control));
                continue;
            }
            vocab.TryAdd(tokens[id], id);
        }

        var parts = new ByteLevelBpeTokenizer.Parts
        {
            Vocab = vocab,
            Merges = merges.Select((merge, rank) => merge.Split(' ') is [string left, string right]
                ? (left, right)
                : throw new ModelFormatException($"{source}: tokenizer.ggml.merges[{rank}] (\"{InputQuote.Cap(merge)}\") is not \"a b\"")),
            IgnoreMerges = split.IgnoreMerges,
            Added = AddedTokens.Of(added),
            PreTokenizer = PreTokenizerPipeline.ForPattern(split.Pattern, source),
        };
        return ByteLevelBpeTokenizer.FromParts(parts, source, bos, eos);
    }
}
