using Transformer.Loader;
using Transformer.Loader.Gguf;

namespace Transformer.Cli.Quantize;

/// <summary>The check every quantize format makes of its source: quantizing quantized weights again only loses precision.</summary>
internal static class QuantizedSource
{
    /// <exception cref="ModelFormatException">A matrix of <paramref name="files"/> is stored quantized already (our layout or a quantized GGUF).</exception>
    public static void RefuseQuantized(ModelFiles files, string modelPath)
    {
        // A GGUF's K-quant blocks reach the engine dequantized, so its own tensor types are what tell.
        if (files.Weights is GgufWeightSource gguf && gguf.File.Tensors.FirstOrDefault(t => t.Type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16)) is { } block)
            throw new ModelFormatException($"{modelPath}: already quantized: its tensor {InputQuote.Cap(block.Name)} is {GgmlTypes.Name(block.Type)}; run it as it is");
        foreach (var tensor in files.Weights.Tensors)
        {
            if (QuantizeType.StoredSuffixes.FirstOrDefault(s => tensor.Name.EndsWith(s.Key, StringComparison.Ordinal)) is { Key: not null } stored)
                throw new ModelFormatException(
                    $"{modelPath}: already quantized to {stored.Value}: its matrices are stored as NAME{stored.Key} (e.g. {InputQuote.Cap(tensor.Name)}); run it as it is");
        }
    }
}
