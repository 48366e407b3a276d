using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Loader.Gguf;

namespace LlamaCppCompare;

/// <summary>What the comparison needs to know of a <c>--model</c> GGUF before either engine loads it.</summary>
public static class ModelFile
{
    /// <summary>The file's configuration (the shape both engines run).</summary>
    /// <exception cref="ArgumentException">The path is not a GGUF file.</exception>
    /// <exception cref="ModelFormatException">The file is malformed or of an architecture the engine does not run.</exception>
    public static ModelConfig Config(string path)
    {
        if (!path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) || !File.Exists(path))
            throw new ArgumentException($"--model takes an existing *.gguf file (both engines load it), got '{path}'");
        using var file = GgufFile.Open(path);
        return GgufModelConfig.Read(file);
    }

    /// <summary>The ggml type most of the file's matrices are stored in (its "file type", as the rows are named).</summary>
    public static string MatrixType(string path)
    {
        using var file = GgufFile.Open(path);
        return file.Tensors.Where(t => t.Dimensions.Count == 2).GroupBy(t => t.Type)
            .OrderByDescending(g => g.Sum(t => t.ElementCount)).Select(g => GgmlTypes.Name(g.Key)).FirstOrDefault() ?? "F32";
    }
}
