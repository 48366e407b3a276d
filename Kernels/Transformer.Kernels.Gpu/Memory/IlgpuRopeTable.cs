using ILGPU;
using ILGPU.Runtime;
using Transformer.Kernels.Backend;

namespace Transformer.Kernels.Gpu.Memory;

/// <summary>cos/sin tables [position, pair] in device memory, computed on the host once.</summary>
public sealed class IlgpuRopeTable : RopeTable
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _cos;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _sin;

    internal IlgpuRopeTable(Accelerator accelerator, ReadOnlySpan<float> inverseFrequencies, int maxPositions, RopeStyle style, float attentionFactor)
        : base(maxPositions, inverseFrequencies.Length, style)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPositions);
        if (inverseFrequencies.IsEmpty) throw new ArgumentException("a rope table needs at least one inverse frequency", nameof(inverseFrequencies));
        var (cos, sin) = ComputeHost(inverseFrequencies, maxPositions, attentionFactor);
        _cos = accelerator.Allocate1D(cos);
        _sin = accelerator.Allocate1D(sin);
    }

    /// <summary>cos(position × frequency).</summary>
    public ArrayView<float> Cos => _cos.View;

    /// <summary>sin(position × frequency).</summary>
    public ArrayView<float> Sin => _sin.View;

    /// <inheritdoc/>
    public override void Dispose()
    {
        _cos.Dispose();
        _sin.Dispose();
    }
}
