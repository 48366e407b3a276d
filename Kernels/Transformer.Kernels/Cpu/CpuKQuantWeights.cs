using Transformer.Kernels.Backend;
using Transformer.Kernels.Quantized;

namespace Transformer.Kernels.Cpu;

/// <summary>A Q4_K weight matrix (see <see cref="Q4KWeight"/>) for the CPU kernels, its codes as the file stored them.</summary>
public sealed class CpuQ4KWeight(string name, Q4KWeight weight) : DeviceWeight(name, weight.OutFeatures, weight.InFeatures, WeightFormat.Q4K)
{
    /// <summary>The codes, block scales and minimums.</summary>
    public Q4KWeight Weight { get; } = weight;

    /// <inheritdoc/>
    public override long ByteSize => Weight.ByteSize;

    /// <inheritdoc/>
    public override void Dispose() { }
}

/// <summary>A Q6_K weight matrix (see <see cref="Q6KWeight"/>) for the CPU kernels, its bits as the file stored them.</summary>
public sealed class CpuQ6KWeight(string name, Q6KWeight weight) : DeviceWeight(name, weight.OutFeatures, weight.InFeatures, WeightFormat.Q6K)
{
    /// <summary>The packed values, sub-block scales and block scales.</summary>
    public Q6KWeight Weight { get; } = weight;

    /// <inheritdoc/>
    public override long ByteSize => Weight.ByteSize;

    /// <inheritdoc/>
    public override void Dispose() { }
}
