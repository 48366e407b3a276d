using System.Runtime.InteropServices;
using Transformer.Kernels.Tensors;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// A weight matrix [OutFeatures, InFeatures] in <see cref="Q8Format"/>: int8 values row-major
/// [out, K] and float32 scales row-major [out, K/32]. Either owns arrays it quantized, or views
/// memory it was given (a memory-mapped pre-quantized file), which it never copies.
/// </summary>
public sealed class Q8Weight
{
    private readonly ReadOnlyMemory<byte> _values;
    private readonly ReadOnlyMemory<byte> _scales;

    /// <summary>Views existing int8 values and float32 scales (little-endian bytes, as stored in safetensors).</summary>
    /// <exception cref="ArgumentException">A shape or byte length does not match.</exception>
    public Q8Weight(int outFeatures, int inFeatures, ReadOnlyMemory<byte> values, ReadOnlyMemory<byte> scales)
    {
        if (outFeatures <= 0) throw new ArgumentException($"a Q8 weight needs at least one row, got {outFeatures}", nameof(outFeatures));
        BlocksPerRow = Q8Format.BlocksPerRow(inFeatures);
        if (values.Length != (long)outFeatures * inFeatures)
            throw new ArgumentException($"Q8 values hold {values.Length} bytes, expected [{outFeatures}, {inFeatures}] = {(long)outFeatures * inFeatures}", nameof(values));
        if (scales.Length != (long)outFeatures * BlocksPerRow * sizeof(float))
            throw new ArgumentException($"Q8 scales hold {scales.Length} bytes, expected [{outFeatures}, {BlocksPerRow}] float32 = {(long)outFeatures * BlocksPerRow * sizeof(float)}", nameof(scales));
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        _values = values;
        _scales = scales;
    }

    /// <summary>Quantizes a float32 matrix [outFeatures, inFeatures] (row-major) block by block.</summary>
    /// <exception cref="ArgumentException">Shapes do not match, K is not a multiple of 32, or a value is not finite.</exception>
    public static Q8Weight Quantize(ReadOnlySpan<float> matrix, int outFeatures, int inFeatures)
    {
        int blocks = Q8Format.BlocksPerRow(inFeatures);
        if (outFeatures <= 0 || matrix.Length != (long)outFeatures * inFeatures)
            throw new ArgumentException($"{matrix.Length} values do not fill [{outFeatures}, {inFeatures}]", nameof(matrix));
        var values = new byte[matrix.Length];
        var scales = new byte[(long)outFeatures * blocks * sizeof(float)];
        Span<sbyte> q = MemoryMarshal.Cast<byte, sbyte>(values.AsSpan());
        Span<float> s = MemoryMarshal.Cast<byte, float>(scales.AsSpan());
        for (int o = 0; o < outFeatures; o++)
            Q8Format.QuantizeRow(matrix.Slice(o * inFeatures, inFeatures), q.Slice(o * inFeatures, inFeatures), s.Slice(o * blocks, blocks));
        return new Q8Weight(outFeatures, inFeatures, values, scales);
    }

    /// <summary>Quantizes a 2-D host tensor of any float dtype (F32 used in place, F16/BF16 widened first).</summary>
    public static Q8Weight Quantize(HostTensor matrix)
    {
        if (matrix.Shape.Count != 2) throw new ArgumentException($"tensor '{matrix.Name}' is not a matrix: {matrix}", nameof(matrix));
        ReadOnlySpan<float> values = matrix.Type == DType.F32 ? matrix.AsFloat32() : matrix.ToFloat32();
        return Quantize(values, matrix.Shape[0], matrix.Shape[1]);
    }

    /// <summary>Views a pre-quantized pair of tensors: I8 values [out, K] and F32 scales [out, K/32].</summary>
    /// <exception cref="ArgumentException">A dtype or shape does not match.</exception>
    public static Q8Weight FromTensors(HostTensor values, HostTensor scales)
    {
        if (values.Type != DType.I8 || values.Shape.Count != 2)
            throw new ArgumentException($"Q8 values must be an I8 matrix, got {values}", nameof(values));
        if (scales.Type != DType.F32 || scales.Shape.Count != 2 || scales.Shape[0] != values.Shape[0]
            || scales.Shape[1] * Q8Format.BlockSize != values.Shape[1])
            throw new ArgumentException($"Q8 scales must be F32 [{values.Shape[0]}, {values.Shape[1] / Q8Format.BlockSize}] for {values}, got {scales}", nameof(scales));
        return new Q8Weight(values.Shape[0], values.Shape[1], values.Data, scales.Data);
    }

    /// <summary>Rows: output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Columns: input features K, a multiple of <see cref="Q8Format.BlockSize"/>.</summary>
    public int InFeatures { get; }

    /// <summary>Scales per row: K / 32.</summary>
    public int BlocksPerRow { get; }

    /// <summary>All quantized values, row-major [out, K].</summary>
    public ReadOnlySpan<sbyte> Values => MemoryMarshal.Cast<byte, sbyte>(_values.Span);

    /// <summary>All scales, row-major [out, K/32].</summary>
    public ReadOnlySpan<float> Scales => MemoryMarshal.Cast<byte, float>(_scales.Span);

    /// <summary>The raw value bytes (to save as an I8 tensor).</summary>
    public ReadOnlyMemory<byte> ValueBytes => _values;

    /// <summary>The raw scale bytes (to save as an F32 tensor).</summary>
    public ReadOnlyMemory<byte> ScaleBytes => _scales;

    /// <summary>Bytes read by one pass over the weight (values + scales).</summary>
    public long ByteSize => _values.Length + _scales.Length;

    /// <summary>Scalar reference: the float32 matrix [out, K] this weight stands for.</summary>
    public void Dequantize(Span<float> destination)
    {
        if (destination.Length != (long)OutFeatures * InFeatures)
            throw new ArgumentException($"destination holds {destination.Length} values, expected {(long)OutFeatures * InFeatures}", nameof(destination));
        var values = Values;
        var scales = Scales;
        for (int o = 0; o < OutFeatures; o++)
            Q8Format.DequantizeRow(values.Slice(o * InFeatures, InFeatures), scales.Slice(o * BlocksPerRow, BlocksPerRow),
                destination.Slice(o * InFeatures, InFeatures));
    }
}
