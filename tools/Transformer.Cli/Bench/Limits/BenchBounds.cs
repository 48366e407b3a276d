using Transformer.Kernels.Cpu.Isa;

namespace Transformer.Cli.Bench.Limits;

/// <summary>A bench row beside the machine's limits measured in the same run.</summary>
public static class BenchBounds
{
    /// <summary>
    /// <paramref name="result"/> with its bounds: decode against the bandwidth bound (read bandwidth at the row's thread
    /// count ÷ weight bytes per token), prefill against the compute bound (the row's ISA path's int8 or f32 peak at its
    /// thread count ÷ operations per token). A GPU row, or a path not measured, is returned as it is.
    /// </summary>
    public static BenchResult With(BenchResult result, MachineLimits limits)
    {
        if (!CpuIsaSupport.TryParse(result.Isa, out var isa) || limits.Path(isa) is not { } path) return result;
        double bandwidth = result.Threads <= 1 ? limits.ReadGigabytesPerSecondOneThread : limits.ReadGigabytesPerSecond;
        double peak = result.ComputeKernel == "int8"
            ? result.Threads <= 1 ? path.Int8GopsOneThread : path.Int8Gops
            : result.Threads <= 1 ? path.FmaGflopsOneThread : path.FmaGflops;
        double decodeBound = bandwidth * 1e9 / result.WeightBytesPerToken;
        double prefillBound = peak * 1e9 / result.PrefillOperationsPerToken;
        return result with
        {
            ReadGigabytesPerSecond = bandwidth,
            DecodeBandwidthBoundTokensPerSecond = decodeBound,
            DecodePercentOfBandwidthBound = 100 * result.DecodeTokensPerSecond / decodeBound,
            ComputePeakGops = peak,
            PrefillComputeBoundTokensPerSecond = prefillBound,
            PrefillPercentOfComputeBound = 100 * result.PrefillTokensPerSecond / prefillBound,
        };
    }
}
