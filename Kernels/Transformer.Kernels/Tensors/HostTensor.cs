using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Transformer.Kernels.Tensors;

/// <summary>
/// A named, typed, shaped view of tensor bytes in host memory: usually a slice of a memory-mapped
/// weight file, so nothing is copied until a backend decides how to hold it.
/// </summary>
public sealed class HostTensor
{
    /// <summary>Creates a view; the byte length must equal dtype size × product(shape).</summary>
    public HostTensor(string name, DType type, IReadOnlyList<int> shape, ReadOnlyMemory<byte> data)
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"tensor '{name}': negative dimension in shape [{string.Join(", ", shape)}]");
            count *= d;
        }
        if (count * DTypes.SizeOf(type) != data.Length)
            throw new ArgumentException($"tensor '{name}': {data.Length} bytes do not hold {type}[{string.Join(", ", shape)}]");
        Name = name;
        Type = type;
        Shape = shape.ToArray();
        Data = data;
        ElementCount = count;
    }

    /// <summary>The tensor's name (Hugging Face naming, e.g. <c>model.layers.0.self_attn.q_proj.weight</c>).</summary>
    public string Name { get; }
    /// <summary>Element type.</summary>
    public DType Type { get; }
    /// <summary>Dimensions, outermost first.</summary>
    public IReadOnlyList<int> Shape { get; }
    /// <summary>The raw little-endian bytes.</summary>
    public ReadOnlyMemory<byte> Data { get; }
    /// <summary>Number of elements.</summary>
    public long ElementCount { get; }

    /// <summary>Wraps a float array (tests, synthetic models).</summary>
    public static HostTensor FromFloats(string name, float[] values, params int[] shape) =>
        new(name, DType.F32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>The elements as float32 without copying; only for <see cref="DType.F32"/> tensors.</summary>
    public ReadOnlySpan<float> AsFloat32()
    {
        if (Type != DType.F32) throw new InvalidOperationException($"tensor '{Name}' is {Type}, not F32");
        return MemoryMarshal.Cast<byte, float>(Data.Span);
    }

    /// <summary>Converts the elements to float32 (F32, F16, BF16).</summary>
    public void CopyToFloat32(Span<float> destination)
    {
        if (destination.Length != ElementCount)
            throw new ArgumentException($"tensor '{Name}': destination holds {destination.Length} floats, tensor has {ElementCount}");
        switch (Type)
        {
            case DType.F32:
                AsFloat32().CopyTo(destination);
                break;
            case DType.F16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(Data.Span), destination);
                break;
            case DType.BF16:
                BFloat16Conversion.ToSingle(MemoryMarshal.Cast<byte, ushort>(Data.Span), destination);
                break;
            default:
                throw new NotSupportedException($"tensor '{Name}': {Type} cannot be read as floating point");
        }
    }

    /// <summary>Converts the elements to a new float32 array.</summary>
    public float[] ToFloat32()
    {
        var result = new float[ElementCount];
        CopyToFloat32(result);
        return result;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Type}[{string.Join(", ", Shape)}]";
}
