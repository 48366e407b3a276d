using Transformer.Loader.Config;
using Transformer.Loader.Gguf;
using Transformer.Loader.Llama2c;
using Transformer.Loader.Safetensors;

namespace Transformer.Loader;

/// <summary>How a model's weights are stored on disk.</summary>
public enum ModelFileFormat
{
    /// <summary>config.json beside one safetensors file.</summary>
    Safetensors,
    /// <summary>config.json beside model.safetensors.index.json and its shards.</summary>
    ShardedSafetensors,
    /// <summary>A llama2.c <c>.bin</c> checkpoint (config from its header).</summary>
    Llama2c,
    /// <summary>A GGUF file (config, weights and tokenizer in one file).</summary>
    Gguf,
}

/// <summary>
/// A model opened from disk: its configuration, its weights and the folder holding them (where tokenizer
/// files are looked for). Disposing releases the weight mappings.
/// </summary>
public sealed class ModelFiles : IDisposable
{
    private ModelFiles(ModelConfig config, IWeightSource weights, string directory, ModelFileFormat format, string? embeddedTokenizerFile = null)
    {
        Config = config;
        Weights = weights;
        Directory = directory;
        Format = format;
        EmbeddedTokenizerFile = embeddedTokenizerFile;
    }

    /// <summary>The model's configuration.</summary>
    public ModelConfig Config { get; }

    /// <summary>The weights, under Hugging Face names.</summary>
    public IWeightSource Weights { get; }

    /// <summary>Full path of the folder the model was found in.</summary>
    public string Directory { get; }

    /// <summary>Which layout was found.</summary>
    public ModelFileFormat Format { get; }

    /// <summary>
    /// The model file when it carries its tokenizer inside (a GGUF file); null when the tokenizer is a file beside
    /// the model, looked for in <see cref="Directory"/>.
    /// </summary>
    public string? EmbeddedTokenizerFile { get; }

    /// <summary>
    /// Opens a model from <paramref name="path"/>, which may be:
    /// a folder with config.json and model.safetensors.index.json, model.safetensors or exactly one *.safetensors;
    /// a folder without config.json holding exactly one llama2.c checkpoint (*.bin);
    /// a folder without config.json holding exactly one GGUF file (*.gguf);
    /// a *.safetensors file or a *.index.json file (config.json beside it); a llama2.c *.bin file; or a *.gguf file.
    /// Throws <see cref="ModelFormatException"/> saying what was looked for when nothing fits.
    /// </summary>
    public static ModelFiles Open(string path)
    {
        string full = Path.GetFullPath(path);
        if (System.IO.Directory.Exists(full)) return OpenFolder(full);
        if (!File.Exists(full))
            throw new ModelFormatException($"{path}: no such file or folder");

        string directory = Path.GetDirectoryName(full)!;
        if (full.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            return WithConfigBeside(directory, ModelFileFormat.Safetensors, () => SafetensorsFile.Open(full));
        if (full.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase))
            return WithConfigBeside(directory, ModelFileFormat.ShardedSafetensors, () => ShardedSafetensors.Open(full));
        if (full.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
            return OpenLlama2c(full);
        if (full.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
            return OpenGguf(full);
        throw new ModelFormatException(
            $"{path}: not a model file; expected a folder, a *.safetensors file, a *.safetensors.index.json file, a llama2.c *.bin checkpoint or a *.gguf file");
    }

    /// <summary>Releases the weight mappings.</summary>
    public void Dispose() => Weights.Dispose();

    private static ModelFiles OpenFolder(string directory)
    {
        if (File.Exists(Path.Combine(directory, HuggingFaceConfig.FileName)) && FindSafetensors(directory) is { } found)
            return WithConfigBeside(directory, found.Format, found.Open);

        var checkpoints = System.IO.Directory.GetFiles(directory, "*.bin").Where(Llama2cCheckpoint.IsCheckpoint).ToArray();
        if (checkpoints.Length == 1) return OpenLlama2c(checkpoints[0]);
        if (checkpoints.Length > 1)
            throw new ModelFormatException(
                $"{directory}: several llama2.c checkpoints ({string.Join(", ", checkpoints.Select(Path.GetFileName))}); pass the file to use");
        var ggufFiles = System.IO.Directory.GetFiles(directory, "*.gguf");
        if (ggufFiles.Length == 1) return OpenGguf(ggufFiles[0]);
        if (ggufFiles.Length > 1)
            throw new ModelFormatException(
                $"{directory}: several GGUF files ({string.Join(", ", ggufFiles.Select(Path.GetFileName).Order(StringComparer.Ordinal))}); pass the file to use");
        throw new ModelFormatException(
            $"{directory}: no model found; looked for {HuggingFaceConfig.FileName} with {ShardedSafetensors.IndexFileName}, " +
            "model.safetensors or a single *.safetensors, for a llama2.c *.bin checkpoint and for a single *.gguf file");
    }

    /// <summary>
    /// The safetensors weights of a Hugging Face folder: model.safetensors.index.json and its shards, model.safetensors,
    /// or the only *.safetensors; null when there are none; an error when several are there without an index.
    /// </summary>
    internal static (ModelFileFormat Format, Func<IWeightSource> Open)? FindSafetensors(string directory)
    {
        string index = Path.Combine(directory, ShardedSafetensors.IndexFileName);
        if (File.Exists(index)) return (ModelFileFormat.ShardedSafetensors, () => ShardedSafetensors.Open(index));

        string single = Path.Combine(directory, "model.safetensors");
        if (File.Exists(single)) return (ModelFileFormat.Safetensors, () => SafetensorsFile.Open(single));

        var candidates = System.IO.Directory.GetFiles(directory, "*.safetensors");
        if (candidates.Length == 1) return (ModelFileFormat.Safetensors, () => SafetensorsFile.Open(candidates[0]));
        if (candidates.Length > 1)
            throw new ModelFormatException(
                $"{directory}: {candidates.Length} *.safetensors files but no {ShardedSafetensors.IndexFileName} saying how they fit together");
        return null;
    }

    private static ModelFiles WithConfigBeside(string directory, ModelFileFormat format, Func<IWeightSource> openWeights)
    {
        string configPath = Path.Combine(directory, HuggingFaceConfig.FileName);
        if (!File.Exists(configPath))
            throw new ModelFormatException($"{directory}: safetensors weights need a {HuggingFaceConfig.FileName} beside them, and there is none");
        var config = HuggingFaceConfig.Load(configPath);
        return new ModelFiles(config, openWeights(), directory, format);
    }

    private static ModelFiles OpenGguf(string path)
    {
        var file = GgufFile.Open(path);
        ModelConfig config;
        try
        {
            config = GgufModelConfig.Read(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
        var weights = GgufWeightSource.Create(file, config); // owns the file from here, also when it throws
        return new ModelFiles(config, weights, Path.GetDirectoryName(path)!, ModelFileFormat.Gguf, path);
    }

    private static ModelFiles OpenLlama2c(string file)
    {
        var checkpoint = Llama2cCheckpoint.Open(file);
        return new ModelFiles(checkpoint.Config, checkpoint, Path.GetDirectoryName(file)!, ModelFileFormat.Llama2c);
    }
}
