using Transformer.Kernels.Backend;

namespace Transformer.Kernels.Cpu;

/// <summary>cos/sin tables [position, pair] in host memory.</summary>
public sealed class CpuRopeTable : RopeTable
{
    /// <summary>Computes the tables.</summary>
    public CpuRopeTable(ReadOnlySpan<float> inverseFrequencies, int maxPositions, RopeStyle style, float attentionFactor = 1f)
        : base(maxPositions, inverseFrequencies.Length, style)
    {
        (Cos, Sin) = ComputeHost(inverseFrequencies, maxPositions, attentionFactor);
    }

    /// <summary>cos(position × frequency), [position, pair].</summary>
    public float[] Cos { get; }
    /// <summary>sin(position × frequency), [position, pair].</summary>
    public float[] Sin { get; }

    /// <inheritdoc/>
    public override void Dispose() { }
}
