using System.Runtime.InteropServices;
using Transformer.Kernels.Cpu.Isa;

namespace Transformer.Bench;

/// <summary>
/// The CPU paths the suites compare: every path this process can run. The others produce no
/// benchmark case; <see cref="SkippedReport"/> names them and says why, so a run on a machine
/// without, say, AVX-512 shows what it left out instead of silently measuring less.
/// </summary>
public static class BenchPaths
{
    /// <summary>Every path this process can run, scalar first.</summary>
    public static IEnumerable<CpuIsa> All => CpuIsaSupport.Supported;

    /// <summary>
    /// Every path but scalar, for the prefill GEMMs: the scalar reference computes 128 tokens as 128
    /// of its GEMVs (seconds per call at the large shapes); its per-token cost is the scalar GEMV's.
    /// </summary>
    public static IEnumerable<CpuIsa> Simd => All.Where(isa => isa != CpuIsa.Scalar);

    /// <summary>One line per path this process cannot run, with the reason; empty when it runs them all.</summary>
    public static IEnumerable<string> SkippedReport() =>
        Enum.GetValues<CpuIsa>().Where(isa => !CpuIsaSupport.IsSupported(isa))
            .Select(isa => $"path {CpuIsaSupport.Name(isa)} skipped: {WhyUnsupported(isa)}");

    private static string WhyUnsupported(CpuIsa isa)
    {
        bool armPath = isa is CpuIsa.Neon or CpuIsa.NeonDp;
        bool armProcess = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;
        if (armPath != armProcess)
            return $"{(armPath ? "an Arm64" : "an x86-64")} path, this process runs on {RuntimeInformation.ProcessArchitecture}";
        return "this CPU lacks its instructions, or a DOTNET_Enable* setting disables them";
    }
}
