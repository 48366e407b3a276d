using Transformer.Kernels.Backend;
using Transformer.Kernels.Tensors;

namespace Transformer.Kernels.Quantized.Ggml;

/// <summary>
/// A float matrix quantized for a K-quant request (<see cref="WeightFormat.Q4K"/>, <see cref="WeightFormat.Q6K"/>,
/// <see cref="WeightFormat.Q4KM"/>) as llama.cpp's quantizer would store it, its fallbacks for short rows included
/// (<see cref="GgmlQ4_K_M.Fallback"/>); exactly one of the results is set.
/// </summary>
public sealed record GgmlMixQuantized(Q4KWeight? Q4K, Q6KWeight? Q6K, Q8Weight? Q8, HostTensor? F16)
{
    /// <summary>The type llama.cpp would store a request for <paramref name="format"/> as, for rows of <paramref name="columns"/>.</summary>
    public static GgmlMixType TypeFor(WeightFormat format, int columns) =>
        GgmlQ4_K_M.Fallback(format == WeightFormat.Q6K ? GgmlMixType.Q6_K : GgmlMixType.Q4_K, columns);

    /// <summary>Quantizes a 2-D host tensor of any float dtype for <paramref name="format"/>.</summary>
    /// <exception cref="ArgumentException">Not a matrix, or a value is not finite.</exception>
    public static GgmlMixQuantized Quantize(HostTensor matrix, WeightFormat format)
    {
        if (matrix.Shape.Count != 2) throw new ArgumentException($"tensor '{matrix.Name}' is not a matrix: {matrix}", nameof(matrix));
        int rows = matrix.Shape[0], columns = matrix.Shape[1];
        ReadOnlySpan<float> values = matrix.Type == DType.F32 ? matrix.AsFloat32() : matrix.ToFloat32();
        return TypeFor(format, columns) switch
        {
            GgmlMixType.Q4_K => new(Q4KWeight.Quantize(values, rows, columns), null, null, null),
            GgmlMixType.Q6_K => new(null, Q6KWeight.Quantize(values, rows, columns), null, null),
            GgmlMixType.Q5_0 => new(null, null, GgmlQ5_0.QuantizeToQ8(values, rows, columns), null),
            GgmlMixType.Q8_0 => new(null, null, GgmlQ8_0.QuantizeToQ8(values, rows, columns), null),
            _ => new(null, null, null, ToF16(matrix.Name, values, rows, columns)),
        };
    }

    /// <summary>The values rounded to float16, as llama.cpp stores a matrix whose rows fit no block.</summary>
    private static HostTensor ToF16(string name, ReadOnlySpan<float> values, int rows, int columns)
    {
        var bytes = new byte[values.Length * 2];
        var halves = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(bytes.AsSpan());
        for (int i = 0; i < values.Length; i++) halves[i] = (Half)values[i];
        return new HostTensor(name, DType.F16, [rows, columns], bytes);
    }
}
