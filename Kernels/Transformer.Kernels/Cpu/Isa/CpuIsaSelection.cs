using Transformer.Kernels.Quantized;

namespace Transformer.Kernels.Cpu.Isa;

/// <summary>
/// Picks the kernel path once at start-up: an explicit request wins, then the
/// <c>TRANSFORMER_ISA</c> environment variable, then the fastest path the CPU supports.
/// A forced path the CPU lacks is an error rather than a silent fallback, so a test or bench
/// that asks for a path really measures it.
/// </summary>
public static class CpuIsaSelection
{
    /// <summary>The environment variable that forces a path (values as <see cref="CpuIsaSupport.Name"/>).</summary>
    public const string EnvironmentVariable = "TRANSFORMER_ISA";

    /// <summary>
    /// Preference when several paths are supported, fastest first. AVX-512BW precedes AVX-VNNI:
    /// measured on this project's AMD EPYC (Zen 5) bench machine, the 512-bit widening
    /// multiply-add GEMV beats 256-bit vpdpbusd (figures in Bench/Transformer.Bench/README.md).
    /// </summary>
    public static IReadOnlyList<CpuIsa> Preference { get; } =
        [CpuIsa.Avx512, CpuIsa.AvxVnni, CpuIsa.Avx2, CpuIsa.NeonDp, CpuIsa.Neon, CpuIsa.Scalar];

    private static readonly Lazy<CpuIsa> s_default = new(() => Resolve(null, Environment.GetEnvironmentVariable(EnvironmentVariable)));

    /// <summary>The path chosen for this process (environment variable or best supported), computed once.</summary>
    public static CpuIsa Default => s_default.Value;

    /// <summary>The best path this CPU supports, ignoring any override.</summary>
    public static CpuIsa Best => Preference.First(CpuIsaSupport.IsSupported);

    /// <summary>
    /// Resolves the path: <paramref name="requested"/> if given, else <paramref name="environmentValue"/>
    /// if non-empty, else <see cref="Best"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The environment value names no path.</exception>
    /// <exception cref="PlatformNotSupportedException">The requested path cannot run on this CPU.</exception>
    public static CpuIsa Resolve(CpuIsa? requested, string? environmentValue = null)
    {
        CpuIsa isa;
        string origin;
        if (requested is { } explicitIsa)
        {
            isa = explicitIsa;
            origin = "requested";
        }
        else if (!string.IsNullOrWhiteSpace(environmentValue))
        {
            if (!CpuIsaSupport.TryParse(environmentValue, out isa))
                throw new ArgumentException($"{EnvironmentVariable}='{environmentValue}' names no CPU path; use one of: {CpuIsaSupport.AllNames}");
            origin = $"forced by {EnvironmentVariable}";
        }
        else
        {
            return Best;
        }
        return Require(isa, origin);
    }

    /// <summary>Returns <paramref name="isa"/> if this process can run it, else throws naming what it can run.</summary>
    /// <exception cref="PlatformNotSupportedException">The path cannot run on this CPU.</exception>
    public static CpuIsa Require(CpuIsa isa, string origin = "requested")
    {
        if (!CpuIsaSupport.IsSupported(isa))
            throw new PlatformNotSupportedException(
                $"CPU path '{CpuIsaSupport.Name(isa)}' ({origin}) is not supported by this CPU or is disabled by a DOTNET_Enable* setting; " +
                $"supported: {string.Join(", ", CpuIsaSupport.Supported.Select(CpuIsaSupport.Name))}");
        return isa;
    }

    /// <summary>A one-line description for inspect and bench, e.g. <c>avx512 (AVX-512BW int8, 512-bit f32 FMA)</c>.</summary>
    public static string Describe(CpuIsa isa) => isa switch
    {
        CpuIsa.Scalar => "scalar (reference C#)",
        CpuIsa.Avx2 => "avx2 (int8 vpsignb + vpmaddubsw + vpmaddwd on 8-row interleaved weights, 256-bit f32 FMA)",
        CpuIsa.Avx512 => Q8MatMul.UsesVpdpbusd(CpuIsa.Avx512)
            ? "avx512 (int8 256-bit vpdpbusd on 8-row interleaved weights, 512-bit f32 FMA)"
            : "avx512 (int8 256-bit vpsignb + vpmaddubsw + vpmaddwd on 8-row interleaved weights, 512-bit f32 FMA)",
        CpuIsa.AvxVnni => "avxvnni (int8 256-bit vpdpbusd on 8-row interleaved weights, 256-bit f32 FMA)",
        CpuIsa.Neon => "neon (int8 smull+sadalp, 128-bit f32 FMA)",
        CpuIsa.NeonDp => "neondp (int8 sdot, 128-bit f32 FMA)",
        _ => throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown ISA"),
    };
}
