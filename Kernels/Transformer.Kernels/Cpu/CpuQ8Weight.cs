using Transformer.Kernels.Backend;
using Transformer.Kernels.Quantized;

namespace Transformer.Kernels.Cpu;

/// <summary>
/// An int8 block-quantized weight matrix (see <see cref="Q8Format"/>) for the CPU kernels, with its
/// row-interleaved repack where the backend's ISA path multiplies by that instead.
/// </summary>
public sealed class CpuQ8Weight(string name, Q8Weight weight, Q8InterleavedWeight? interleaved = null)
    : DeviceWeight(name, weight.OutFeatures, weight.InFeatures, WeightFormat.Q8)
{
    /// <summary>The int8 values and block scales.</summary>
    public Q8Weight Weight { get; } = weight;

    /// <summary>The repack the matmul reads (see <see cref="Q8MatMul.Interleaves"/>), or null where it reads <see cref="Weight"/>.</summary>
    public Q8InterleavedWeight? Interleaved { get; } = interleaved;

    /// <inheritdoc/>
    public override long ByteSize => Weight.ByteSize;

    /// <summary>Dequantizes one output row (an embedding lookup of a tied table).</summary>
    public void DequantizeRow(int row, Span<float> destination)
    {
        int k = InFeatures, blocks = Weight.BlocksPerRow;
        Q8Format.DequantizeRow(Weight.Values.Slice(row * k, k), Weight.Scales.Slice(row * blocks, blocks), destination);
    }

    /// <inheritdoc/>
    public override void Dispose() { }
}
