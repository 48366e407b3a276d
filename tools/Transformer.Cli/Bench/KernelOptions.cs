using System.CommandLine;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;

namespace Transformer.Cli.Bench;

/// <summary>The options that choose how the CPU kernels run: weight format (--quant) and ISA path (--isa).</summary>
public static class KernelOptions
{
    /// <summary>The --quant value for float32 weights.</summary>
    public const string F32 = "f32";
    /// <summary>The --quant value for int8 (Q8) weights quantized at load.</summary>
    public const string Int8 = "int8";
    /// <summary>The --quant value for 4-bit (ggml Q4_0) weights quantized at load.</summary>
    public const string Q4 = "q4_0";
    /// <summary>The --quant value for llama.cpp's Q4_K_M mix (Q4_K, Q6_K where its rules say) quantized at load.</summary>
    public const string Q4KM = "q4_k_m";
    /// <summary>The bench's --quant value that measures f32 and int8.</summary>
    public const string Both = "both";
    /// <summary>The --isa value that measures every supported path (bench only).</summary>
    public const string AllIsas = "all";

    /// <summary>--quant f32|int8|q4_0|q4_k_m for loading a model.</summary>
    public static Option<string> Quant()
    {
        var option = new Option<string>("--quant", "-q")
        {
            Description = "Weight format: f32, int8, q4_0 or q4_k_m (quantized at load; a pre-quantized model or a Q8_0/Q4_0/Q4_K/Q6_K GGUF keeps its own)",
            DefaultValueFactory = _ => F32,
            HelpName = $"{F32}|{Int8}|{Q4}|{Q4KM}",
        };
        option.AcceptOnlyFromAmong([F32, Int8, Q4, Q4KM]);
        return option;
    }

    /// <summary>--isa NAME (and <c>all</c> when <paramref name="allowAll"/>); default: TRANSFORMER_ISA, else the best path.</summary>
    public static Option<string> Isa(bool allowAll)
    {
        string[] names = Enum.GetValues<CpuIsa>().Select(CpuIsaSupport.Name).ToArray();
        string[] accepted = allowAll ? [.. names, AllIsas] : names;
        var option = new Option<string>("--isa")
        {
            Description = $"CPU kernel path{(allowAll ? " (all: every supported one)" : "")}; " +
                          $"default: ${CpuIsaSelection.EnvironmentVariable}, else the fastest this CPU supports",
            // The help line then reads --isa <scalar|avx2|...>: the values, not a placeholder.
            HelpName = string.Join('|', accepted),
        };
        option.AcceptOnlyFromAmong(accepted);
        return option;
    }

    /// <summary>The weight format of a --quant value.</summary>
    public static WeightFormat Format(string quant) => quant switch
    {
        F32 => WeightFormat.F32,
        Int8 => WeightFormat.Q8,
        Q4 => WeightFormat.Q4,
        Q4KM => WeightFormat.Q4KM,
        _ => throw new ArgumentException($"--quant '{quant}' names no single weight format"),
    };

    /// <summary>
    /// The path an --isa value selects: null leaves the choice to <see cref="CpuIsaSelection"/> (environment
    /// variable, then best). A path this CPU cannot run fails here, naming what it can run.
    /// </summary>
    public static CpuIsa Resolve(string? isa)
    {
        CpuIsa? requested = null;
        if (isa is not null)
        {
            if (!CpuIsaSupport.TryParse(isa, out var parsed)) throw new ArgumentException($"--isa '{isa}' names no CPU path; use one of: {CpuIsaSupport.AllNames}");
            requested = parsed;
        }
        return CpuIsaSelection.Resolve(requested, Environment.GetEnvironmentVariable(CpuIsaSelection.EnvironmentVariable));
    }

    /// <summary>A CPU backend on the selected path.</summary>
    public static CpuBackend CreateBackend(string? isa, int threads) =>
        new(new CpuBackendOptions { Threads = threads, Isa = Resolve(isa) });
}
