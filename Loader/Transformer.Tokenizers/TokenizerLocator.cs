using System.Text.Json;
using Transformer.Loader;
using Transformer.Loader.Gguf;
using Transformer.Loader.Tokenization;
using Transformer.Tokenizers.Gguf;
using Transformer.Tokenizers.HuggingFace;
using Transformer.Tokenizers.Llama2c;
using Transformer.Tokenizers.SentencePiece;
using Transformer.Tokenizers.WordPiece;

namespace Transformer.Tokenizers;

/// <summary>
/// Finds and loads the tokenizer that belongs to a model. Beside the model it looks, in order, for
/// <c>tokenizer.json</c> (byte-level BPE), <c>tokenizer.model</c>, <c>tok*.model</c> (SentencePiece; a
/// SentencePiece-style tokenizer.json when neither is there), <c>tok*.bin</c> (llama2.c export) and <c>vocab.txt</c>
/// (BERT WordPiece; a WordPiece tokenizer.json comes first); an explicit override may be any of these formats, or a GGUF file, whose
/// tokenizer is read from its metadata.
/// </summary>
public static class TokenizerLocator
{
    /// <summary>The file name patterns searched beside a model, in order of preference.</summary>
    public static IReadOnlyList<string> SearchPatterns { get; } = ["tokenizer.json", "tokenizer.model", "tok*.model", "tok*.bin", "vocab.txt"];

    /// <summary>Loads the tokenizer for a model.</summary>
    /// <param name="modelPath">The model's folder, or any file in it (checkpoint, config).</param>
    /// <param name="overridePath">A tokenizer file to use instead of searching; its format is chosen by extension, else by content.
    /// Without one, a <paramref name="modelPath"/> that is a GGUF file is its own tokenizer.</param>
    /// <param name="expectedVocabSize">The model's vocabulary size; a llama2.c export (which does not store it) is checked against it.</param>
    /// <exception cref="FileNotFoundException">No tokenizer was found; the message lists what was looked for.</exception>
    /// <exception cref="ModelFormatException">The tokenizer file is malformed.</exception>
    public static ITokenizer Load(string modelPath, string? overridePath = null, int? expectedVocabSize = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        string path = overridePath ?? Find(modelPath);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Tokenizer file {path} does not exist.", path);
        }

        return LoadFile(path, expectedVocabSize);
    }

    /// <summary>The tokenizer file beside a model, by <see cref="SearchPatterns"/>; a GGUF model file is its own.</summary>
    /// <param name="modelPath">The model's folder, or any file in it.</param>
    /// <exception cref="FileNotFoundException">None was found; the message lists what was looked for.</exception>
    /// <exception cref="ModelFormatException">
    /// A tokenizer.json is there but unreadable (not JSON, or of no family this engine reads): an error rather than a
    /// silent turn to the next file, which could be a different tokenizer.
    /// </exception>
    public static string Find(string modelPath)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        if (File.Exists(modelPath) && Path.GetExtension(modelPath).Equals(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            return modelPath;
        }

        string folder = Directory.Exists(modelPath) ? modelPath : Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? ".";
        string? sentencePieceStyleJson = null;
        if (Directory.Exists(folder))
        {
            foreach (string pattern in SearchPatterns)
            {
                // A SentencePiece-style tokenizer.json (Metaspace, byte fallback) is the tokenizer.model beside it in
                // another form: the .model file is preferred, and the json is read when there is none.
                if (sentencePieceStyleJson is not null && !pattern.EndsWith(".model", StringComparison.Ordinal))
                {
                    return sentencePieceStyleJson;
                }

                foreach (string candidate in Directory.GetFiles(folder, pattern).Order(StringComparer.Ordinal))
                {
                    if (Path.GetExtension(candidate) == ".json" && TokenizerJsonClassifier.Classify(candidate) == TokenizerJsonKind.SentencePieceStyle)
                    {
                        sentencePieceStyleJson = candidate;
                        continue;
                    }

                    return candidate;
                }
            }
        }

        throw new FileNotFoundException(
            $"No tokenizer found for model {modelPath}: looked in {folder} for {string.Join(", ", SearchPatterns)}. " +
            "Pass the tokenizer file explicitly to use another.");
    }

    /// <summary>Loads one tokenizer file, choosing the format by extension (.json, .model, .bin, .gguf), else by content.</summary>
    /// <param name="path">The tokenizer file.</param>
    /// <param name="expectedVocabSize">The model's vocabulary size, checked against a llama2.c export.</param>
    /// <exception cref="ModelFormatException">The file is malformed.</exception>
    public static ITokenizer LoadFile(string path, int? expectedVocabSize = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Path.GetExtension(path).Equals(".gguf", StringComparison.OrdinalIgnoreCase) || GgufFile.HasMagic(path))
        {
            // Read from the mapping: a GGUF file is the whole model, which need not be read into memory.
            ITokenizer tokenizer = GgufTokenizer.Load(path);
            if (expectedVocabSize is int vocab && tokenizer.VocabSize > vocab)
            {
                throw new ModelFormatException($"{path}: the tokenizer has {tokenizer.VocabSize} tokens, more than the model's vocabulary of {vocab}");
            }

            return tokenizer;
        }

        byte[] data = File.ReadAllBytes(path);
        return FormatOf(path, data) switch
        {
            TokenizerFormat.HuggingFaceJson => LoadJson(path, data),
            TokenizerFormat.SentencePiece => SentencePieceBpeTokenizer.FromBytes(data, path),
            TokenizerFormat.WordPieceVocab => WordPieceTokenizer.FromVocabTxt(path),
            _ => Llama2cTokenizer.FromBytes(data, path, expectedVocabSize),
        };
    }

    private enum TokenizerFormat { HuggingFaceJson, SentencePiece, Llama2c, WordPieceVocab }

    private static TokenizerFormat FormatOf(string path, ReadOnlySpan<byte> data)
    {
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".json": return TokenizerFormat.HuggingFaceJson;
            case ".model": return TokenizerFormat.SentencePiece;
            case ".bin": return TokenizerFormat.Llama2c;
        }

        // By content: JSON opens with '{'; a .txt file otherwise is a vocab.txt; a ModelProto with its first piece
        // (field 1, length-delimited: tag 0x0A); a llama2.c export with a small int32 max_token_length, whose low
        // byte is rarely 0x0A or '{'.
        ReadOnlySpan<byte> start = data.TrimStart(" \t\r\n\uFEFF"u8);
        if (!start.IsEmpty && start[0] == (byte)'{')
        {
            return TokenizerFormat.HuggingFaceJson;
        }

        if (Path.GetExtension(path).Equals(".txt", StringComparison.OrdinalIgnoreCase))
        {
            return TokenizerFormat.WordPieceVocab;
        }

        return data.Length > 0 && data[0] == 0x0A && (data.Length < 4 || BitConverter.ToInt32(data[..4]) > 4096)
            ? TokenizerFormat.SentencePiece
            : TokenizerFormat.Llama2c;
    }

    private static ITokenizer LoadJson(string path, byte[] data)
    {
        switch (TokenizerJsonClassifier.Classify(data, path))
        {
            case TokenizerJsonKind.SentencePieceStyle:
                return CharacterBpeTokenizer.FromJson(data, path);
            case TokenizerJsonKind.WordPiece:
                return WordPieceTokenizer.FromJson(data, path);
        }

        (int? bos, IReadOnlyList<int>? eos) = SpecialIdsFromConfig(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".");
        return ByteLevelBpeTokenizer.FromJson(data, path, bos, eos);
    }

    /// <summary>
    /// <c>bos_token_id</c> / <c>eos_token_id</c> (a number or a list) of the config.json beside the tokenizer:
    /// the ids the model was trained to start and stop with, which tokenizer.json alone may not say.
    /// </summary>
    private static (int? Bos, IReadOnlyList<int>? Eos) SpecialIdsFromConfig(string folder)
    {
        string configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath))
        {
            return (null, null);
        }

        try
        {
            using JsonDocument config = JsonDocument.Parse(File.ReadAllBytes(configPath));
            JsonElement root = config.RootElement;
            int? bos = root.TryGetProperty("bos_token_id", out JsonElement b) && b.ValueKind == JsonValueKind.Number ? b.GetInt32() : null;
            IReadOnlyList<int>? eos = root.TryGetProperty("eos_token_id", out JsonElement e) ? e.ValueKind switch
            {
                JsonValueKind.Number => [e.GetInt32()],
                JsonValueKind.Array => [.. e.EnumerateArray().Select(x => x.GetInt32())],
                _ => null,
            } : null;
            return (bos, eos);
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException($"{configPath}: not valid JSON: {ex.Message}", ex);
        }
    }
}
