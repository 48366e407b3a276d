using Transformer.Kernels.Backend;
using Transformer.Kernels.Quantized;

namespace Transformer.Kernels.Cpu;

/// <summary>A 4-bit weight matrix (see <see cref="Q4Weight"/>) for the CPU kernels, kept as the file stored it.</summary>
public sealed class CpuQ4Weight(string name, Q4Weight weight) : DeviceWeight(name, weight.OutFeatures, weight.InFeatures, WeightFormat.Q4)
{
    /// <summary>The code bytes and block scales.</summary>
    public Q4Weight Weight { get; } = weight;

    /// <inheritdoc/>
    public override long ByteSize => Weight.ByteSize;

    /// <inheritdoc/>
    public override void Dispose() { }
}
