using Transformer.Kernels.Cpu.Isa;

namespace Transformer.Kernels.Cpu;

/// <summary>Settings of the CPU backend.</summary>
public sealed record CpuBackendOptions
{
    /// <summary>Worker threads for matmuls and attention; 0 means one per core.</summary>
    public int Threads { get; init; }

    /// <summary>
    /// Instruction-set path for the matmul kernels; null picks the best this CPU supports, unless the
    /// TRANSFORMER_ISA environment variable names one. A path the CPU lacks is an error, never a fallback.
    /// </summary>
    public CpuIsa? Isa { get; init; }

    /// <summary>The thread count actually used.</summary>
    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;
}
