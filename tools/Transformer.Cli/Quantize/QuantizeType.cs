using System.Globalization;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Quantized.Ggml;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Config;
using Transformer.Loader.Gguf;
using Transformer.Runtime.Llama;

namespace Transformer.Cli.Quantize;

/// <summary>
/// A <c>quantize --type</c>: how its matrices are stored in our safetensors layout and which ggml types they take
/// in a GGUF. Adding a type is one entry of <see cref="All"/>.
/// </summary>
/// <param name="Name">The --type value.</param>
/// <param name="Description">What the matrices become, for messages.</param>
/// <param name="Gguf">The ggml type of each matrix in a GGUF.</param>
/// <param name="Safetensors">The stored tensors that stand for one matrix (of the model's config) in our safetensors
/// layout, or null where the type keeps it as it is (rows that are not whole blocks of 32).</param>
/// <param name="SafetensorsLayout">How the layout reads, for the file's metadata.</param>
public sealed record QuantizeType(string Name, string Description, GgufMatrixTypes Gguf, Func<HostTensor, ModelConfig, HostTensor[]?> Safetensors, string SafetensorsLayout)
{
    /// <summary>int8 in blocks of 32 with a float32 scale each (<c>NAME.q8</c> + <c>NAME.q8_scales</c>); Q8_0 in a GGUF.</summary>
    public static readonly QuantizeType Q8_0 = new("q8_0", "int8 (Q8)", GgufMatrixTypes.Uniform(GgmlType.Q8_0), (t, _) => WholeBlocks(t) ? AsQ8(t.Name, Q8Weight.Quantize(t)) : null, string.Create(CultureInfo.InvariantCulture,
        $"q8: symmetric int8 in blocks of {Q8Format.BlockSize} along K, one F32 scale per block; NAME{LlamaWeights.QuantizedValuesSuffix} = I8 [out, K], NAME{LlamaWeights.QuantizedScalesSuffix} = F32 [out, K/{Q8Format.BlockSize}]"));

    /// <summary>ggml Q4_0's codes and its f16 scales widened to float32 (<c>NAME.q4</c> + <c>NAME.q4_scales</c>); Q4_0 in a GGUF.</summary>
    public static readonly QuantizeType Q4_0 = new("q4_0", "4-bit (Q4_0)", GgufMatrixTypes.Uniform(GgmlType.Q4_0), (t, _) => WholeBlocks(t) ? AsQ4(t) : null, string.Create(CultureInfo.InvariantCulture,
        $"q4_0: ggml Q4_0 blocks of {Q8Format.BlockSize} along K split into NAME{GgufQ4_0.CodesSuffix} = U8 codes [out, K/2] (value j in the low nibble of byte j, j + 16 in the high one, value = (code - 8) * scale) and NAME{GgufQ4_0.ScalesSuffix} = F32 [out, K/{Q8Format.BlockSize}] (the f16 scales, widened exactly)"));

    /// <summary>
    /// llama.cpp's Q4_K_M mix (<see cref="GgmlQ4_K_M"/>): Q4_K, and Q6_K for the classifier and the <c>use_more_bits</c>
    /// layers' v and down projections; rows that are not whole super-blocks as llama.cpp falls back (Q5_0 and Q8_0, held
    /// as int8, F16 where rows fit no block). In safetensors each matrix is stored in the layout the K-quant kernels read
/// (<see cref="GgufKQuants"/>), or the int8 or F16 one of its fallback, as <c>--quant q4_k_m</c> holds it at load.
    /// </summary>
    public static readonly QuantizeType Q4_K_M = new("q4_k_m", "Q4_K_M (Q4_K, Q6_K)", GgufMatrixTypes.Q4_K_M, AsQ4KM, string.Create(CultureInfo.InvariantCulture,
        $"q4_k_m: llama.cpp's Q4_K_M type per matrix; Q4_K as NAME{GgufKQuants.Q4KCodesSuffix} = U8 codes [out, K/2] + NAME{GgufKQuants.Q4KScalesSuffix} and NAME{GgufKQuants.Q4KMinsSuffix} = F32 [out, K/{Q8Format.BlockSize}] (value = scale * code - min), Q6_K as NAME{GgufKQuants.Q6KBlocksSuffix} = U8 [out, K/{Q8Format.BlockSize}*{Q6KWeight.BlockBytes}] + NAME{GgufKQuants.Q6KScalesSuffix} = F32 [out, K/{Q8Format.BlockSize}], the Q5_0/Q8_0 fallbacks for rows that are not whole {GgmlQ4_K.BlockSize}-value super-blocks as q8"));

    /// <summary>Every type, in the order the help lists them; the first is the default.</summary>
    public static IReadOnlyList<QuantizeType> All { get; } = [Q8_0, Q4_0, Q4_K_M];

    /// <summary>The --type values.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(t => t.Name)];

    /// <summary>The type named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No type has that name; the message lists those that do.</exception>
    public static QuantizeType Parse(string name) => All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"--type '{Loader.InputQuote.Cap(name)}' names no quantization type; use one of: {string.Join(", ", Names)}");

    /// <summary>Suffixes of the stored tensors that mark a matrix as quantized already (any type's layout), with what they hold.</summary>
    public static IReadOnlyDictionary<string, string> StoredSuffixes { get; } = new Dictionary<string, string>
    {
        [LlamaWeights.QuantizedValuesSuffix] = "int8 (Q8)",
        [GgufQ4_0.CodesSuffix] = "4 bits (Q4_0)",
        [GgufKQuants.Q4KCodesSuffix] = "Q4_K",
        [GgufKQuants.Q6KBlocksSuffix] = "Q6_K",
    };

    private const string FusedQkv = ".qkv_proj.weight";

    private static bool WholeBlocks(HostTensor matrix) => matrix.Shape[1] % Q8Format.BlockSize == 0;

    private static HostTensor[] AsQ8(string name, Q8Weight q) =>
    [
        new HostTensor(name + LlamaWeights.QuantizedValuesSuffix, DType.I8, [q.OutFeatures, q.InFeatures], q.ValueBytes),
        new HostTensor(name + LlamaWeights.QuantizedScalesSuffix, DType.F32, [q.OutFeatures, q.BlocksPerRow], q.ScaleBytes),
    ];

    private static HostTensor[] AsQ4(HostTensor tensor)
    {
        var q = Q4Weight.Quantize(tensor);
        return
        [
            new HostTensor(tensor.Name + GgufQ4_0.CodesSuffix, DType.U8, [q.OutFeatures, q.InFeatures / 2], q.CodeMemory),
            new HostTensor(tensor.Name + GgufQ4_0.ScalesSuffix, DType.F32, [q.OutFeatures, q.BlocksPerRow], q.ScaleMemory),
        ];
    }

    /// <summary>The matrix as llama.cpp's Q4_K_M would store it (the same rules <c>--quant q4_k_m</c> applies at load).</summary>
    private static HostTensor[] AsQ4KM(HostTensor tensor, ModelConfig config)
    {
        var format = Q4KMix.Resolve(WeightFormat.Q4KM, tensor.Name, config.NumLayers, config.TieWordEmbeddings);
        // A fused q/k/v matrix is split at load, and the mix can give its v rows another type than its q and k rows.
        if (tensor.Name.EndsWith(FusedQkv, StringComparison.Ordinal)
            && Q4KMix.Resolve(WeightFormat.Q4KM, tensor.Name[..^FusedQkv.Length] + ".v_proj.weight", config.NumLayers, config.TieWordEmbeddings) != format)
            throw new ArgumentException($"{tensor.Name}: llama.cpp's Q4_K_M gives this fused matrix's v rows another type than its q and k rows, " +
                "which one stored tensor cannot hold; quantize this model with --type q8_0 or q4_0, or load it with --quant q4_k_m");
        var q = GgmlMixQuantized.Quantize(tensor, format);
        string name = tensor.Name;
        if (q.Q4K is { } q4k)
        {
            var (codes, scales, mins) = q4k.Memory;
            return
            [
                new HostTensor(name + GgufKQuants.Q4KCodesSuffix, DType.U8, [q4k.OutFeatures, q4k.InFeatures / 2], codes),
                new HostTensor(name + GgufKQuants.Q4KScalesSuffix, DType.F32, [q4k.OutFeatures, q4k.BlocksPerRow], scales),
                new HostTensor(name + GgufKQuants.Q4KMinsSuffix, DType.F32, [q4k.OutFeatures, q4k.BlocksPerRow], mins),
            ];
        }
        if (q.Q6K is { } q6k)
        {
            var (blocks, scales) = q6k.Memory;
            return
            [
                new HostTensor(name + GgufKQuants.Q6KBlocksSuffix, DType.U8, [q6k.OutFeatures, q6k.BlocksPerRow * Q6KWeight.BlockBytes], blocks),
                new HostTensor(name + GgufKQuants.Q6KScalesSuffix, DType.F32, [q6k.OutFeatures, q6k.BlocksPerRow], scales),
            ];
        }
        // Q5_0 and Q8_0 fallbacks are held as int8; rows that fit no block are float16, as at load.
        return q.Q8 is { } q8 ? AsQ8(name, q8) : [q.F16!];
    }
}
