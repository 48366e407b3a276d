using Transformer.Kernels.Backend;
using Transformer.Kernels.Quantized;

namespace Transformer.Kernels.Cpu;

/// <summary>
/// An int8 block-quantized weight matrix (see <see cref="Q8Format"/>) for the CPU kernels, held in exactly one
/// layout: row-major, or the row-interleaved repack where the backend's ISA path multiplies by that instead
/// (the row-major copy is then dropped, so the weight costs one int8 copy, not two).
/// </summary>
public sealed class CpuQ8Weight : DeviceWeight
{
    /// <summary>Holds the row-major weight.</summary>
    public CpuQ8Weight(string name, Q8Weight weight)
        : base(name, weight.OutFeatures, weight.InFeatures, WeightFormat.Q8) => Weight = weight;

    /// <summary>Holds only the repack (whoever repacked it may drop the row-major source).</summary>
    public CpuQ8Weight(string name, Q8InterleavedWeight interleaved)
        : base(name, interleaved.OutFeatures, interleaved.InFeatures, WeightFormat.Q8) => Interleaved = interleaved;

    /// <summary>The row-major int8 values and block scales, or null where <see cref="Interleaved"/> holds them.</summary>
    public Q8Weight? Weight { get; }

    /// <summary>The repack the matmul reads (see <see cref="Q8MatMul.Interleaves"/>), or null where it reads <see cref="Weight"/>.</summary>
    public Q8InterleavedWeight? Interleaved { get; }

    /// <inheritdoc/>
    public override long ByteSize => Weight?.ByteSize ?? Interleaved!.ByteSize;

    /// <summary>Dequantizes one output row (an embedding lookup of a tied table) from whichever layout is held.</summary>
    public void DequantizeRow(int row, Span<float> destination)
    {
        if (Interleaved is { } packed)
        {
            packed.DequantizeRow(row, destination);
            return;
        }
        var w = Weight!;
        int k = InFeatures, blocks = w.BlocksPerRow;
        Q8Format.DequantizeRow(w.Values.Slice(row * k, k), w.Scales.Slice(row * blocks, blocks), destination);
    }

    /// <inheritdoc/>
    public override void Dispose() { }
}
