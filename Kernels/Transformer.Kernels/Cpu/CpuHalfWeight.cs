using System.Runtime.InteropServices;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu.Ops;
using Transformer.Kernels.Tensors;

namespace Transformer.Kernels.Cpu;

/// <summary>
/// An F16 or BF16 weight matrix [out, in] kept in its stored 16-bit form (typically a slice of the
/// memory-mapped file, so nothing is copied). The kernels widen it to float32 as they read it and
/// accumulate in float32, so it computes what a widened <see cref="CpuF32Weight"/> would while
/// streaming half the bytes per token.
/// </summary>
public sealed class CpuHalfWeight : DeviceWeight
{
    private readonly ReadOnlyMemory<byte> _bytes;

    /// <summary>Wraps a host tensor of shape [out, in] whose type is <see cref="DType.F16"/> or <see cref="DType.BF16"/>.</summary>
    /// <exception cref="ArgumentException">The tensor is not a 16-bit floating-point matrix.</exception>
    public CpuHalfWeight(HostTensor matrix) : base(matrix.Name, matrix.Shape[0], matrix.Shape[1], WeightFormat.F32)
    {
        if (matrix.Type is not (DType.F16 or DType.BF16))
            throw new ArgumentException($"tensor '{matrix.Name}' is {matrix.Type}; a half weight holds F16 or BF16");
        Type = matrix.Type;
        _bytes = matrix.Data;
    }

    /// <summary>The stored element type: <see cref="DType.F16"/> or <see cref="DType.BF16"/>.</summary>
    public DType Type { get; }

    /// <summary>All values as raw 16-bit patterns, row-major [out, in].</summary>
    public ReadOnlySpan<ushort> Bits => MemoryMarshal.Cast<byte, ushort>(_bytes.Span);

    /// <summary>Widens one output row to float32 (an embedding lookup of a tied table); exact.</summary>
    public void WidenRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)OutFeatures) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is not within [0, {OutFeatures}) of '{Name}'");
        MatMulHalf.Widen(Type, Bits.Slice(row * InFeatures, InFeatures), destination);
    }

    /// <inheritdoc/>
    public override long ByteSize => _bytes.Length;

    /// <inheritdoc/>
    public override void Dispose() { }
}
