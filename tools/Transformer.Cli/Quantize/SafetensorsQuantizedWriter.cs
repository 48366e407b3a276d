using Transformer.Kernels.Tensors;
using Transformer.Loader;
using Transformer.Loader.Safetensors;
using Transformer.Runtime.Llama;

namespace Transformer.Cli.Quantize;

/// <summary>
/// Writes a pre-quantized copy of a Hugging Face model folder: <c>model.safetensors</c> in which each matrix the
/// runtime would quantize at load is replaced by the tensors of the chosen <see cref="QuantizeType"/> (int8:
/// <c>NAME.q8</c> + <c>NAME.q8_scales</c>; 4-bit: <c>NAME.q4</c> + <c>NAME.q4_scales</c>; Q4_K_M: each matrix in its
/// K-quant layout), every other tensor kept
/// as it was; plus config.json and the tokenizer files. <see cref="LlamaWeights.PrepareMatrix"/> maps those tensors
/// straight into quantized weights, so loading neither converts nor re-quantizes them.
/// </summary>
public static class SafetensorsQuantizedWriter
{
    /// <summary>The safetensors metadata key naming the weight format.</summary>
    public const string FormatMetadataKey = "transformer.weight_format";

    /// <summary>Files copied beside the weights when the source folder has them.</summary>
    private static readonly string[] s_companionPatterns =
        ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "tok*.model", "tok*.bin"];

    /// <summary>Quantizes the model at <paramref name="modelPath"/> to <paramref name="type"/> into <paramref name="outputDirectory"/>.</summary>
    /// <returns>How many matrices were quantized and how many tensors were kept as they were.</returns>
    /// <exception cref="ModelFormatException">The source is not a Hugging Face safetensors model with config.json, or is quantized already.</exception>
    public static (int Quantized, int Kept) Write(string modelPath, string outputDirectory, QuantizeType type)
    {
        using var files = ModelFiles.Open(modelPath);
        if (files.Format is not (ModelFileFormat.Safetensors or ModelFileFormat.ShardedSafetensors))
            throw new ModelFormatException(files.Format == ModelFileFormat.Llama2c
                ? $"{modelPath}: the safetensors format is written from Hugging Face safetensors models (config.json + *.safetensors); a llama2.c checkpoint has no config.json to copy (--format gguf takes it)"
                : $"{modelPath}: the safetensors format is written from Hugging Face safetensors models (config.json + *.safetensors), not from {files.Format}");
        QuantizedSource.RefuseQuantized(files, modelPath);
        string sourceDirectory = files.Directory;
        if (Path.GetFullPath(outputDirectory) == Path.GetFullPath(sourceDirectory))
            throw new ArgumentException($"--out must differ from the model's folder ({sourceDirectory}): the source files would be overwritten");

        var tied = files.Config.TieWordEmbeddings;
        var output = new List<HostTensor>();
        int quantized = 0, kept = 0;
        foreach (var tensor in files.Weights.Tensors)
        {
            if (IsQuantizedAtLoad(tensor, tied) && type.Safetensors(tensor, files.Config) is { } stored)
            {
                output.AddRange(stored);
                quantized++;
            }
            else
            {
                output.Add(tensor);
                kept++;
            }
        }

        Directory.CreateDirectory(outputDirectory);
        SafetensorsWriter.Write(Path.Combine(outputDirectory, "model.safetensors"), output, new Dictionary<string, string>
        {
            ["format"] = "pt",
            [FormatMetadataKey] = type.SafetensorsLayout,
        });
        foreach (string pattern in s_companionPatterns)
        {
            foreach (string file in Directory.EnumerateFiles(sourceDirectory, pattern))
                File.Copy(file, Path.Combine(outputDirectory, Path.GetFileName(file)), overwrite: true);
        }
        return (quantized, kept);
    }

    /// <summary>
    /// The matrices <see cref="LlamaWeights.Load"/> quantizes when asked for Q8, Q4 or Q4_K_M: the layer projections, the
    /// classifier, and the embedding only when it doubles as the classifier (whether their rows fit the type's blocks is
    /// the type's to say).
    /// </summary>
    public static bool IsQuantizedAtLoad(HostTensor tensor, bool tiedEmbeddings)
    {
        if (tensor.Shape.Count != 2) return false;
        string name = tensor.Name;
        return (name.StartsWith("model.layers.", StringComparison.Ordinal) && name.EndsWith("_proj.weight", StringComparison.Ordinal))
            || name == "lm_head.weight"
            || (tiedEmbeddings && name == "model.embed_tokens.weight");
    }
}
