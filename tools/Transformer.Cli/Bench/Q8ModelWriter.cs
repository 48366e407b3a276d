using System.Globalization;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Tensors;
using Transformer.Loader;
using Transformer.Loader.Safetensors;
using Transformer.Runtime.Llama;

namespace Transformer.Cli.Bench;

/// <summary>
/// Writes a pre-quantized copy of a Hugging Face model folder: <c>model.safetensors</c> in which each
/// matrix the runtime would quantize at load is replaced by <c>NAME.q8</c> (I8 values [out, K]) and
/// <c>NAME.q8_scales</c> (F32 block scales [out, K/32]), every other tensor kept as it was; plus
/// config.json and the tokenizer files. <see cref="LlamaWeights.Load"/> maps those two tensors straight
/// into Q8 weights, so loading neither converts nor copies them.
/// </summary>
public static class Q8ModelWriter
{
    /// <summary>The safetensors metadata key naming the weight format.</summary>
    public const string FormatMetadataKey = "transformer.weight_format";

    /// <summary>Files copied beside the weights when the source folder has them.</summary>
    private static readonly string[] s_companionPatterns =
        ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "tok*.model", "tok*.bin"];

    /// <summary>Quantizes the model at <paramref name="modelPath"/> into <paramref name="outputDirectory"/>.</summary>
    /// <returns>How many matrices were quantized and how many tensors were kept as they were.</returns>
    /// <exception cref="ModelFormatException">The source is not a Hugging Face safetensors model with config.json, or is quantized already.</exception>
    public static (int Quantized, int Kept) Write(string modelPath, string outputDirectory)
    {
        using var files = ModelFiles.Open(modelPath);
        if (files.Format == ModelFileFormat.Llama2c)
            throw new ModelFormatException($"{modelPath}: quantize reads Hugging Face safetensors models (config.json + *.safetensors); a llama2.c checkpoint has no config.json to copy");
        if (files.Weights.Tensors.FirstOrDefault(t => t.Name.EndsWith(LlamaWeights.QuantizedValuesSuffix, StringComparison.Ordinal)) is { } stored)
            throw new ModelFormatException(
                $"{modelPath}: already quantized to int8 (Q8): its matrices are stored as NAME{LlamaWeights.QuantizedValuesSuffix} (e.g. {InputQuote.Cap(stored.Name)}); run it as it is");
        string sourceDirectory = files.Directory;
        if (Path.GetFullPath(outputDirectory) == Path.GetFullPath(sourceDirectory))
            throw new ArgumentException($"--out must differ from the model's folder ({sourceDirectory}): the source files would be overwritten");

        var tied = files.Config.TieWordEmbeddings;
        var output = new List<HostTensor>();
        int quantized = 0, kept = 0;
        foreach (var tensor in files.Weights.Tensors)
        {
            if (IsQuantizedAtLoad(tensor, tied))
            {
                var q = Q8Weight.Quantize(tensor);
                output.Add(new HostTensor(tensor.Name + LlamaWeights.QuantizedValuesSuffix, DType.I8, [q.OutFeatures, q.InFeatures], q.ValueBytes));
                output.Add(new HostTensor(tensor.Name + LlamaWeights.QuantizedScalesSuffix, DType.F32, [q.OutFeatures, q.BlocksPerRow], q.ScaleBytes));
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
            [FormatMetadataKey] = string.Create(CultureInfo.InvariantCulture,
                $"q8: symmetric int8 in blocks of {Q8Format.BlockSize} along K, one F32 scale per block; NAME{LlamaWeights.QuantizedValuesSuffix} = I8 [out, K], NAME{LlamaWeights.QuantizedScalesSuffix} = F32 [out, K/{Q8Format.BlockSize}]"),
        });
        foreach (string pattern in s_companionPatterns)
        {
            foreach (string file in Directory.EnumerateFiles(sourceDirectory, pattern))
                File.Copy(file, Path.Combine(outputDirectory, Path.GetFileName(file)), overwrite: true);
        }
        return (quantized, kept);
    }

    /// <summary>
    /// The matrices <see cref="LlamaWeights.Load"/> quantizes when asked for Q8: the layer projections, the
    /// classifier, and the embedding only when it doubles as the classifier; each only when K is whole blocks.
    /// </summary>
    public static bool IsQuantizedAtLoad(HostTensor tensor, bool tiedEmbeddings)
    {
        if (tensor.Shape.Count != 2 || tensor.Shape[1] % Q8Format.BlockSize != 0) return false;
        string name = tensor.Name;
        return (name.StartsWith("model.layers.", StringComparison.Ordinal) && name.EndsWith("_proj.weight", StringComparison.Ordinal))
            || name == "lm_head.weight"
            || (tiedEmbeddings && name == "model.embed_tokens.weight");
    }
}
