using Transformer.Loader.Config;

namespace Transformer.Loader;

/// <summary>
/// An encoder (BERT or nomic-bert) opened from a Hugging Face folder (config.json of model_type bert or nomic_bert beside safetensors weights, as
/// sentence-transformers exports keep it): its configuration, its weights and the folder (for the tokenizer and the
/// pooling files). Disposing releases the weight mappings.
/// </summary>
public sealed class EncoderFiles : IDisposable
{
    private EncoderFiles(EncoderConfig config, IWeightSource weights, string directory)
    {
        Config = config;
        Weights = weights;
        Directory = directory;
    }

    /// <summary>The encoder's configuration.</summary>
    public EncoderConfig Config { get; }

    /// <summary>The weights, under Hugging Face names.</summary>
    public IWeightSource Weights { get; }

    /// <summary>Full path of the model folder.</summary>
    public string Directory { get; }

    /// <summary>
    /// Opens the encoder in <paramref name="path"/>, a folder (or its config.json) with model.safetensors, a single
    /// *.safetensors, or an index and its shards. Throws <see cref="ModelFormatException"/> saying what is missing.
    /// </summary>
    public static EncoderFiles Open(string path)
    {
        string full = Path.GetFullPath(path);
        string directory = File.Exists(full) ? Path.GetDirectoryName(full)! : full;
        if (!System.IO.Directory.Exists(directory)) throw new ModelFormatException($"{path}: no such file or folder");
        string configPath = Path.Combine(directory, HuggingFaceConfig.FileName);
        if (!File.Exists(configPath)) throw new ModelFormatException($"{directory}: an encoder needs a {HuggingFaceConfig.FileName}, and there is none");
        var config = EncoderConfigReader.Load(configPath);
        var weights = ModelFiles.FindSafetensors(directory)
            ?? throw new ModelFormatException($"{directory}: no safetensors weights (model.safetensors, a single *.safetensors or {Safetensors.ShardedSafetensors.IndexFileName})");
        return new EncoderFiles(config, weights.Open(), directory);
    }

    /// <summary>Releases the weight mappings.</summary>
    public void Dispose() => Weights.Dispose();
}
