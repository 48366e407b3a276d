using System.Diagnostics;
using System.Text.Json.Serialization;
using Transformer.Kernels.Cpu.Isa;

namespace Transformer.Cli.Bench.Limits;

/// <summary>The peaks of one kernel path, at one thread and at the bench's thread count.</summary>
public sealed record PathLimits
{
    /// <summary>The ISA path (as --isa names it).</summary>
    [JsonPropertyName("isa")] public required string Isa { get; init; }
    /// <summary>The f32 instruction measured.</summary>
    [JsonPropertyName("fma_instruction")] public required string FmaInstruction { get; init; }
    /// <summary>The int8 step measured.</summary>
    [JsonPropertyName("int8_instruction")] public required string Int8Instruction { get; init; }
    /// <summary>f32 GFLOP/s (multiply and add counted apart) on one thread.</summary>
    [JsonPropertyName("fma_gflops_1t")] public required double FmaGflopsOneThread { get; init; }
    /// <summary>f32 GFLOP/s on <see cref="MachineLimits.Threads"/> threads.</summary>
    [JsonPropertyName("fma_gflops")] public required double FmaGflops { get; init; }
    /// <summary>int8 GOP/s (a multiply and an add per product) on one thread.</summary>
    [JsonPropertyName("int8_gops_1t")] public required double Int8GopsOneThread { get; init; }
    /// <summary>int8 GOP/s on <see cref="MachineLimits.Threads"/> threads.</summary>
    [JsonPropertyName("int8_gops")] public required double Int8Gops { get; init; }
}

/// <summary>
/// What this machine can do at best, measured from managed code in this process: read bandwidth (1 and N threads)
/// and, per kernel path the CPU runs, peak f32 FMA and int8 dot throughput. Each figure is the best of a few short
/// runs; on a shared machine they are as noisy as the bench itself, which is why the bench measures them in the same
/// run as its rows.
/// </summary>
public sealed record MachineLimits
{
    /// <summary>Threads of the N-thread figures.</summary>
    [JsonPropertyName("threads")] public required int Threads { get; init; }
    /// <summary>Read bandwidth on one thread, GB/s (10⁹ bytes).</summary>
    [JsonPropertyName("read_gb_s_1t")] public required double ReadGigabytesPerSecondOneThread { get; init; }
    /// <summary>Read bandwidth on <see cref="Threads"/> threads, GB/s.</summary>
    [JsonPropertyName("read_gb_s")] public required double ReadGigabytesPerSecond { get; init; }
    /// <summary>Bytes of the buffer read.</summary>
    [JsonPropertyName("read_buffer_bytes")] public required long ReadBufferBytes { get; init; }
    /// <summary>Per ISA path the CPU runs.</summary>
    [JsonPropertyName("paths")] public required IReadOnlyList<PathLimits> Paths { get; init; }

    private const int Runs = 3;
    private const long ComputeIterations = 4_000_000;

    /// <summary>Measures every figure: bandwidth, then each of <paramref name="isas"/> (the paths this CPU supports).</summary>
    public static MachineLimits Measure(int threads, IReadOnlyList<CpuIsa> isas)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "at least one thread");
        var buffer = ReadBandwidth.Allocate();
        double one = Best(() => Bandwidth(buffer, 1)), all = Best(() => Bandwidth(buffer, threads));
        var paths = isas.Select(isa => new PathLimits
        {
            Isa = CpuIsaSupport.Name(isa),
            FmaInstruction = PeakKernels.FmaInstruction(isa),
            Int8Instruction = PeakKernels.Int8Instruction(isa),
            FmaGflopsOneThread = Best(() => Rate(1, PeakKernels.FmaOperations(isa, ComputeIterations), t => PeakKernels.Fma(isa, ComputeIterations, t))),
            FmaGflops = Best(() => Rate(threads, PeakKernels.FmaOperations(isa, ComputeIterations), t => PeakKernels.Fma(isa, ComputeIterations, t))),
            Int8GopsOneThread = Best(() => Rate(1, PeakKernels.Int8Operations(isa, ComputeIterations), t => PeakKernels.Int8(isa, ComputeIterations, (byte)t))),
            Int8Gops = Best(() => Rate(threads, PeakKernels.Int8Operations(isa, ComputeIterations), t => PeakKernels.Int8(isa, ComputeIterations, (byte)t))),
        }).ToArray();
        return new MachineLimits { Threads = threads, ReadGigabytesPerSecondOneThread = one, ReadGigabytesPerSecond = all, ReadBufferBytes = ReadBandwidth.BufferBytes, Paths = paths };
    }

    /// <summary>The limits of <paramref name="isa"/>, or null when it was not measured.</summary>
    public PathLimits? Path(CpuIsa isa) => Paths.FirstOrDefault(p => p.Isa == CpuIsaSupport.Name(isa));

    private static double Best(Func<double> measure)
    {
        measure(); // warm-up: tier-1 code, threads started, caches and pages settled
        double best = 0;
        for (int i = 0; i < Runs; i++) best = Math.Max(best, measure());
        return best;
    }

    /// <summary>GB/s of every thread reading its share of <paramref name="buffer"/> at once.</summary>
    private static double Bandwidth(long[] buffer, int threads)
    {
        long share = buffer.Length / threads;
        double seconds = RunOnThreads(threads, t => ReadBandwidth.Sum(buffer.AsSpan((int)(t * share), (int)share)));
        return threads * share * sizeof(long) / seconds / 1e9;
    }

    /// <summary>G operations per second of <paramref name="threads"/> threads each running <paramref name="work"/> (worth <paramref name="operations"/>).</summary>
    private static double Rate<T>(int threads, long operations, Func<int, T> work) =>
        threads * (double)operations / RunOnThreads(threads, t => work(t)) / 1e9;

    /// <summary>Wall seconds from a common start until the last of <paramref name="threads"/> dedicated threads finished.</summary>
    private static double RunOnThreads<T>(int threads, Func<int, T> work)
    {
        using var start = new Barrier(threads + 1);
        var sink = new T[threads];
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            sink[t] = work(t);
        }) { IsBackground = true }).ToArray();
        foreach (var w in workers) w.Start();
        // The clock starts before the workers are released: read after the barrier, a main thread descheduled there
        // could find the workers already done and time almost nothing (a 2-core machine showed 400,000 GFLOP/s).
        long begin = Stopwatch.GetTimestamp();
        start.SignalAndWait();
        foreach (var w in workers) w.Join();
        double seconds = Stopwatch.GetElapsedTime(begin).TotalSeconds;
        GC.KeepAlive(sink);
        return seconds;
    }
}
