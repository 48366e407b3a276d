using System.Runtime.InteropServices;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Tensors;

namespace Transformer.Kernels.Cpu;

/// <summary>
/// A float32 weight matrix [out, in]. An F32 source (typically a memory-mapped file) is used in
/// place; F16/BF16 sources are widened once here (the backend itself keeps those as
/// <see cref="CpuHalfWeight"/>).
/// </summary>
public sealed class CpuF32Weight : DeviceWeight
{
    private readonly ReadOnlyMemory<byte> _bytes;

    /// <summary>Wraps or converts a host tensor of shape [out, in].</summary>
    public CpuF32Weight(HostTensor matrix) : base(matrix.Name, matrix.Shape[0], matrix.Shape[1], WeightFormat.F32)
    {
        _bytes = matrix.Type == DType.F32
            ? matrix.Data
            : MemoryMarshal.AsBytes(matrix.ToFloat32().AsSpan()).ToArray();
    }

    /// <summary>All values, row-major [out, in].</summary>
    public ReadOnlySpan<float> Values => MemoryMarshal.Cast<byte, float>(_bytes.Span);

    /// <summary>One output row.</summary>
    public ReadOnlySpan<float> Row(int row) => Values.Slice(row * InFeatures, InFeatures);

    /// <inheritdoc/>
    public override long ByteSize => _bytes.Length;

    /// <inheritdoc/>
    public override void Dispose() { }
}
