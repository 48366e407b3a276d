using System.Globalization;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Gguf;
using Transformer.Runtime.Llama;

namespace Transformer.Cli.Quantize;

/// <summary>
/// A <c>quantize --type</c>: how its matrices are stored in our safetensors layout and which ggml type they take
/// in a GGUF. Adding a type is one entry of <see cref="All"/>.
/// </summary>
/// <param name="Name">The --type value.</param>
/// <param name="GgufMatrixType">The ggml type of the matrices in a GGUF (rows that are not whole blocks go F16).</param>
/// <param name="Safetensors">The stored tensors that stand for one matrix in our safetensors layout; null when the
/// type has no safetensors layout (the GGUF format only).</param>
/// <param name="SafetensorsLayout">How the layout reads, for the file's metadata.</param>
public sealed record QuantizeType(string Name, GgmlType GgufMatrixType, Func<HostTensor, HostTensor[]>? Safetensors, string SafetensorsLayout)
{
    /// <summary>int8 in blocks of 32 with a float32 scale each (<c>NAME.q8</c> + <c>NAME.q8_scales</c>); Q8_0 in a GGUF.</summary>
    public static readonly QuantizeType Q8_0 = new("q8_0", GgmlType.Q8_0, AsQ8, string.Create(CultureInfo.InvariantCulture,
        $"q8: symmetric int8 in blocks of {Q8Format.BlockSize} along K, one F32 scale per block; NAME{LlamaWeights.QuantizedValuesSuffix} = I8 [out, K], NAME{LlamaWeights.QuantizedScalesSuffix} = F32 [out, K/{Q8Format.BlockSize}]"));

    /// <summary>ggml Q4_0's codes and its f16 scales widened to float32 (<c>NAME.q4</c> + <c>NAME.q4_scales</c>); Q4_0 in a GGUF.</summary>
    public static readonly QuantizeType Q4_0 = new("q4_0", GgmlType.Q4_0, AsQ4, string.Create(CultureInfo.InvariantCulture,
        $"q4_0: ggml Q4_0 blocks of {Q8Format.BlockSize} along K split into NAME{GgufQ4_0.CodesSuffix} = U8 codes [out, K/2] (value j in the low nibble of byte j, j + 16 in the high one, value = (code - 8) * scale) and NAME{GgufQ4_0.ScalesSuffix} = F32 [out, K/{Q8Format.BlockSize}] (the f16 scales, widened exactly)"));

    /// <summary>Every type, in the order the help lists them; the first is the default.</summary>
    public static IReadOnlyList<QuantizeType> All { get; } = [Q8_0, Q4_0];

    /// <summary>The --type values.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(t => t.Name)];

    /// <summary>The type named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No type has that name; the message lists those that do.</exception>
    public static QuantizeType Parse(string name) => All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"--type '{Loader.InputQuote.Cap(name)}' names no quantization type; use one of: {string.Join(", ", Names)}");

    /// <summary>Suffixes of the stored tensors that mark a matrix as quantized already (any type's layout).</summary>
    public static IReadOnlyList<string> StoredSuffixes { get; } = [LlamaWeights.QuantizedValuesSuffix, GgufQ4_0.CodesSuffix];

    private static HostTensor[] AsQ8(HostTensor tensor)
    {
        var q = Q8Weight.Quantize(tensor);
        return
        [
            new HostTensor(tensor.Name + LlamaWeights.QuantizedValuesSuffix, DType.I8, [q.OutFeatures, q.InFeatures], q.ValueBytes),
            new HostTensor(tensor.Name + LlamaWeights.QuantizedScalesSuffix, DType.F32, [q.OutFeatures, q.BlocksPerRow], q.ScaleBytes),
        ];
    }

    private static HostTensor[] AsQ4(HostTensor tensor)
    {
        var q = Q4Weight.Quantize(tensor);
        return
        [
            new HostTensor(tensor.Name + GgufQ4_0.CodesSuffix, DType.U8, [q.OutFeatures, q.InFeatures / 2], q.CodeMemory),
            new HostTensor(tensor.Name + GgufQ4_0.ScalesSuffix, DType.F32, [q.OutFeatures, q.BlocksPerRow], q.ScaleMemory),
        ];
    }
}
