using System.CommandLine;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Tensors;

namespace Transformer.Cli.Bench;

/// <summary>
/// The weights one bench row runs: the dtype the synthetic matrices are stored in and the format the
/// backend prepares them in. F16/BF16 matrices stay 16-bit on the CPU backend (its widening kernels);
/// int8, q4_0 and q4_k_m are quantized at load from float32.
/// </summary>
/// <param name="Name">The --quant value and the row's <c>quant</c> field.</param>
/// <param name="Storage">dtype of the synthetic weight matrices.</param>
/// <param name="Format">Format the backend prepares them in.</param>
public sealed record BenchWeights(string Name, DType Storage, WeightFormat Format)
{
    /// <summary>float32 weights.</summary>
    public static readonly BenchWeights F32 = new(KernelOptions.F32, DType.F32, WeightFormat.F32);
    /// <summary>bfloat16 weights, kept 16-bit.</summary>
    public static readonly BenchWeights BF16 = new("bf16", DType.BF16, WeightFormat.F32);
    /// <summary>float16 weights, kept 16-bit.</summary>
    public static readonly BenchWeights F16 = new("f16", DType.F16, WeightFormat.F32);
    /// <summary>int8 (Q8) weights quantized at load.</summary>
    public static readonly BenchWeights Int8 = new(KernelOptions.Int8, DType.F32, WeightFormat.Q8);
    /// <summary>4-bit (ggml Q4_0) weights quantized at load, run by the 4-bit kernels.</summary>
    public static readonly BenchWeights Q4 = new(KernelOptions.Q4, DType.F32, WeightFormat.Q4);
    /// <summary>llama.cpp's Q4_K_M mix quantized at load, run by the K-quant kernels.</summary>
    public static readonly BenchWeights Q4KM = new(KernelOptions.Q4KM, DType.F32, WeightFormat.Q4KM);

    private const string All = "all";
    private static readonly BenchWeights[] s_single = [F32, BF16, F16, Int8, Q4, Q4KM];
    private static string[] Names => [.. s_single.Select(w => w.Name), KernelOptions.Both, All];

    /// <summary>--quant for the bench: one format, <c>both</c> (f32 and int8, the default) or <c>all</c>.</summary>
    public static Option<string> Option()
    {
        var option = new Option<string>("--quant", "-q")
        {
            Description = "Weights: f32, bf16, f16 (kept 16-bit), int8, q4_0 or q4_k_m (quantized at load), both (f32 and int8) or all",
            DefaultValueFactory = _ => KernelOptions.Both,
            HelpName = string.Join('|', Names),
        };
        option.AcceptOnlyFromAmong(Names);
        return option;
    }

    /// <summary>The rows a --quant value asks for, in the order they are measured.</summary>
    /// <exception cref="ArgumentException">The value names no weights.</exception>
    public static IReadOnlyList<BenchWeights> Parse(string value) => value switch
    {
        KernelOptions.Both => [F32, Int8],
        All => s_single,
        _ => [s_single.FirstOrDefault(w => w.Name == value) ?? throw new ArgumentException($"--quant '{value}' names no weights; use f32, bf16, f16, int8, q4_0, q4_k_m, both or all")],
    };
}
