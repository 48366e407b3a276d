using Transformer.Kernels.Backend;
using Transformer.Kernels.Quantized;

namespace Transformer.Kernels.Cpu;

/// <summary>
/// A Q4_K weight matrix for the CPU kernels, held in exactly one layout: row-major (<see cref="Q4KWeight"/>, its codes as
/// the file stored them), or the row-interleaved repack where the backend's ISA path multiplies by that instead
/// (<see cref="Q4KMatMul.Interleaves"/>; the row-major copy is then dropped).
/// </summary>
public sealed class CpuQ4KWeight : DeviceWeight
{
    /// <summary>Holds the row-major weight.</summary>
    public CpuQ4KWeight(string name, Q4KWeight weight)
        : base(name, weight.OutFeatures, weight.InFeatures, WeightFormat.Q4K) => Weight = weight;

    /// <summary>Holds only the repack (whoever repacked it may drop the row-major source).</summary>
    public CpuQ4KWeight(string name, Q4KInterleavedWeight interleaved)
        : base(name, interleaved.OutFeatures, interleaved.InFeatures, WeightFormat.Q4K) => Interleaved = interleaved;

    /// <summary>The codes, block scales and minimums row-major, or null where <see cref="Interleaved"/> holds them.</summary>
    public Q4KWeight? Weight { get; }

    /// <summary>The repack the matmul reads, or null where it reads <see cref="Weight"/>.</summary>
    public Q4KInterleavedWeight? Interleaved { get; }

    /// <inheritdoc/>
    public override long ByteSize => Weight?.ByteSize ?? Interleaved!.ByteSize;

    /// <summary>Dequantizes one output row (an embedding lookup of a tied table) from whichever layout is held.</summary>
    public void DequantizeRow(int row, Span<float> destination)
    {
        if (Interleaved is { } packed) packed.DequantizeRow(row, destination);
        else Weight!.DequantizeRow(row, destination);
    }

    /// <inheritdoc/>
    public override void Dispose() { }
}

/// <summary>
/// A Q6_K weight matrix for the CPU kernels: the row-major <see cref="Q6KWeight"/> (its bits as the file stored them),
/// or only its <see cref="Q6KInterleavedWeight"/> repack where the backend's ISA path multiplies by the repack.
/// </summary>
public sealed class CpuQ6KWeight : DeviceWeight
{
    /// <summary>Holds the row-major weight.</summary>
    public CpuQ6KWeight(string name, Q6KWeight weight)
        : base(name, weight.OutFeatures, weight.InFeatures, WeightFormat.Q6K) => Weight = weight;

    /// <summary>Holds only the repack (whoever repacked it may drop the row-major source).</summary>
    public CpuQ6KWeight(string name, Q6KInterleavedWeight interleaved)
        : base(name, interleaved.OutFeatures, interleaved.InFeatures, WeightFormat.Q6K) => Interleaved = interleaved;

    /// <summary>The packed values, sub-block scales and block scales, or null where <see cref="Interleaved"/> holds them.</summary>
    public Q6KWeight? Weight { get; }

    /// <summary>The repack the matmul reads (see <see cref="Q6KMatMul.Interleaves"/>), or null where it reads <see cref="Weight"/>.</summary>
    public Q6KInterleavedWeight? Interleaved { get; }

    /// <inheritdoc/>
    public override long ByteSize => Weight?.ByteSize ?? Interleaved!.ByteSize;

    /// <summary>Dequantizes one output row (an embedding lookup of a tied table) from whichever layout is held.</summary>
    public void DequantizeRow(int row, Span<float> destination)
    {
        if (Interleaved is { } packed) packed.DequantizeRow(row, destination);
        else Weight!.DequantizeRow(row, destination);
    }

    /// <inheritdoc/>
    public override void Dispose() { }
}
