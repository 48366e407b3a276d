using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Transformer.Kernels.Cpu.Isa;

/// <summary>
/// Which <see cref="CpuIsa"/> paths this process may run, read from the JIT's IsSupported flags,
/// so the runtime knobs (<c>DOTNET_EnableAVX512=0</c>, <c>DOTNET_EnableAVXVNNI=0</c>,
/// <c>DOTNET_EnableAVX2=0</c>, <c>DOTNET_EnableHWIntrinsic=0</c>, <c>DOTNET_EnableArm64Dp=0</c>)
/// switch paths off exactly as they switch the instructions off.
/// </summary>
public static class CpuIsaSupport
{
    /// <summary>True when the process can run <paramref name="isa"/>.</summary>
    public static bool IsSupported(CpuIsa isa) => isa switch
    {
        CpuIsa.Scalar => true,
        // Every AVX2 CPU shipped has FMA, but the JIT can hide either one, and the f32 path needs both.
        CpuIsa.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        CpuIsa.Avx512 => Avx512F.IsSupported && Avx512BW.IsSupported && Avx2.IsSupported && Fma.IsSupported,
        CpuIsa.AvxVnni => AvxVnni.IsSupported && Avx2.IsSupported && Fma.IsSupported,
        CpuIsa.Neon => AdvSimd.Arm64.IsSupported,
        CpuIsa.NeonDp => AdvSimd.Arm64.IsSupported && Dp.IsSupported,
        _ => throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown ISA"),
    };

    /// <summary>Every path this process can run, the scalar reference first.</summary>
    public static IReadOnlyList<CpuIsa> Supported { get; } =
        Enum.GetValues<CpuIsa>().Where(IsSupported).ToArray();

    /// <summary>The lower-case name used by <c>TRANSFORMER_ISA</c>, <c>--isa</c>, inspect and bench.</summary>
    public static string Name(CpuIsa isa) => isa switch
    {
        CpuIsa.Scalar => "scalar",
        CpuIsa.Avx2 => "avx2",
        CpuIsa.Avx512 => "avx512",
        CpuIsa.AvxVnni => "avxvnni",
        CpuIsa.Neon => "neon",
        CpuIsa.NeonDp => "neondp",
        _ => throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown ISA"),
    };

    /// <summary>Parses a name written by <see cref="Name"/> (case-insensitive).</summary>
    public static bool TryParse(string text, out CpuIsa isa)
    {
        foreach (var candidate in Enum.GetValues<CpuIsa>())
            if (string.Equals(Name(candidate), text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                isa = candidate;
                return true;
            }
        isa = default;
        return false;
    }

    /// <summary>All accepted names, for error messages and help text.</summary>
    public static string AllNames => string.Join(", ", Enum.GetValues<CpuIsa>().Select(Name));
}
