using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Loader.Gguf;
using Transformer.Tokenizers.Gguf;

namespace Transformer.Cli.Quantize;

/// <summary>
/// Writes a model as one GGUF file llama.cpp loads (<see cref="GgufModelWriter"/>): matrices in the chosen type,
/// vectors F32, and the tokenizer in the metadata when the source has one the GGUF tokenizer reads back (a
/// SentencePiece BPE <c>tokenizer.model</c> or <c>tok*.model</c>, written as llama.cpp's <c>llama</c> tokenizer).
/// </summary>
public static class GgufQuantizedWriter
{
    /// <summary>The file written inside the output folder.</summary>
    public const string FileName = "model.gguf";

    /// <summary>What was written.</summary>
    /// <param name="Path">The GGUF file.</param>
    /// <param name="TensorsByType">How many tensors of each ggml type the file holds.</param>
    /// <param name="Tokenizer">The tokenizer file written into the metadata, or null.</param>
    /// <param name="TokenizerNote">Why no tokenizer was written, when none was.</param>
    public sealed record Summary(string Path, IReadOnlyDictionary<GgmlType, int> TensorsByType, string? Tokenizer, string? TokenizerNote);

    /// <summary>Writes <paramref name="modelPath"/> as <c>DIR/model.gguf</c> with matrices in <paramref name="type"/>.</summary>
    /// <exception cref="ModelFormatException">The source cannot be read, or is quantized already.</exception>
    /// <exception cref="ArgumentException">The architecture or a tensor has no GGUF form.</exception>
    public static Summary Write(string modelPath, string outputDirectory, QuantizeType type)
    {
        using var files = ModelFiles.Open(modelPath);
        QuantizedSource.RefuseQuantized(files, modelPath);
        string path = Path.Combine(outputDirectory, FileName);
        if (Path.GetFullPath(path) == Path.GetFullPath(modelPath))
            throw new ArgumentException($"--out must not hold the source model itself ({modelPath}): it would be overwritten");
        var (tokenizer, note) = FindTokenizer(files);
        Directory.CreateDirectory(outputDirectory);
        return Write(path, files.Config, files.Weights, tokenizer, type) with { TokenizerNote = note };
    }

    /// <summary>Writes <paramref name="weights"/> to the file <paramref name="path"/>, with the SentencePiece <paramref name="tokenizer"/> when given.</summary>
    public static Summary Write(string path, ModelConfig config, IWeightSource weights, string? tokenizer, QuantizeType type)
    {
        GgufModelWriter.Write(path, config, weights, type.Gguf, tokenizer is null ? null
            : w => GgufTokenizerMetadata.AddSentencePiece(w, File.ReadAllBytes(tokenizer), tokenizer));
        using var written = GgufFile.Open(path);
        var counts = written.Tensors.GroupBy(t => t.Type).ToDictionary(g => g.Key, g => g.Count());
        return new Summary(path, counts, tokenizer, null);
    }

    /// <summary>The SentencePiece BPE model beside the weights, or why there is none to write.</summary>
    private static (string? Path, string? Note) FindTokenizer(ModelFiles files)
    {
        if (files.EmbeddedTokenizerFile is { } gguf)
            return (null, $"the source GGUF's tokenizer ({Path.GetFileName(gguf)}) is not copied");
        var candidates = Directory.EnumerateFiles(files.Directory, "tokenizer.model")
            .Concat(Directory.EnumerateFiles(files.Directory, "tok*.model").Order(StringComparer.Ordinal)).Distinct().ToArray();
        var refused = new List<string>();
        foreach (string candidate in candidates)
        {
            try
            {
                // Read it as the writer will: a model the GGUF tokenizer could not read back is not written.
                Tokenizers.SentencePiece.SentencePieceBpeTokenizer.FromBytes(File.ReadAllBytes(candidate), candidate);
                return (candidate, null);
            }
            catch (ModelFormatException e)
            {
                refused.Add($"{Path.GetFileName(candidate)}: {e.Message}");
            }
        }
        if (refused.Count > 0) return (null, string.Join("; ", refused));
        return (null, File.Exists(Path.Combine(files.Directory, "tokenizer.json"))
            ? "tokenizer.json (Hugging Face) is not written to GGUF; only a SentencePiece BPE tokenizer.model is"
            : "the source has no tokenizer.model");
    }
}
