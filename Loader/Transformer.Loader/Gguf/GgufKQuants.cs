using System.Runtime.InteropServices;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Quantized.Ggml;
using Transformer.Kernels.Tensors;

namespace Transformer.Loader.Gguf;

/// <summary>
/// Q4_K and Q6_K matrices kept as stored, their bits rearranged per 32-value block into the layouts the K-quant kernels
/// read (<see cref="Q4KWeight"/>, <see cref="Q6KWeight"/>): one pass at load, nothing re-quantized, no float copy of the
/// weights. Q4_K becomes <c>name.q4k</c> (U8 codes [rows, columns/2]), <c>name.q4k_scales</c> and <c>name.q4k_mins</c>
/// (F32 [rows, columns/32]); Q6_K becomes <c>name.q6k</c> (U8 [rows, columns/32·26]) and <c>name.q6k_scales</c>.
/// </summary>
public static class GgufKQuants
{
    /// <summary>Suffix of a Q4_K matrix's code bytes.</summary>
    public const string Q4KCodesSuffix = ".q4k";

    /// <summary>Suffix of a Q4_K matrix's float32 block scales d·s.</summary>
    public const string Q4KScalesSuffix = ".q4k_scales";

    /// <summary>Suffix of a Q4_K matrix's float32 block minimums dmin·m.</summary>
    public const string Q4KMinsSuffix = ".q4k_mins";

    /// <summary>Suffix of a Q6_K matrix's packed blocks.</summary>
    public const string Q6KBlocksSuffix = ".q6k";

    /// <summary>Suffix of a Q6_K matrix's float32 block scales d.</summary>
    public const string Q6KScalesSuffix = ".q6k_scales";

    /// <summary>The three tensors standing for a Q4_K matrix [rows, columns]; rows are taken in <paramref name="order"/>.</summary>
    internal static HostTensor[] SplitQ4K(string name, ReadOnlyMemory<byte> data, int rows, int columns, RowOrder order)
    {
        int blocks = columns / Q8Format.BlockSize, rowBytes = columns / GgmlQ4_K.BlockSize * GgmlQ4_K.BlockBytes;
        var codes = new byte[(long)rows * blocks * Q4KWeight.BlockBytes];
        var scales = new float[(long)rows * blocks];
        var mins = new float[(long)rows * blocks];
        var source = data.Span;
        for (int row = 0; row < rows; row++)
            Q4KWeight.SplitGgml(source.Slice(order.StoredRow(row) * rowBytes, rowBytes),
                codes.AsSpan(row * blocks * Q4KWeight.BlockBytes, blocks * Q4KWeight.BlockBytes),
                scales.AsSpan(row * blocks, blocks), mins.AsSpan(row * blocks, blocks));
        return
        [
            new HostTensor(name + Q4KCodesSuffix, DType.U8, [rows, columns / 2], codes),
            new HostTensor(name + Q4KScalesSuffix, DType.F32, [rows, blocks], MemoryMarshal.AsBytes(scales.AsSpan()).ToArray()),
            new HostTensor(name + Q4KMinsSuffix, DType.F32, [rows, blocks], MemoryMarshal.AsBytes(mins.AsSpan()).ToArray()),
        ];
    }

    /// <summary>The two tensors standing for a Q6_K matrix [rows, columns]; rows are taken in <paramref name="order"/>.</summary>
    internal static HostTensor[] SplitQ6K(string name, ReadOnlyMemory<byte> data, int rows, int columns, RowOrder order)
    {
        int blocks = columns / Q8Format.BlockSize, rowBytes = columns / GgmlQ6_K.BlockSize * GgmlQ6_K.BlockBytes;
        var packed = new byte[(long)rows * blocks * Q6KWeight.BlockBytes];
        var scales = new float[(long)rows * blocks];
        var source = data.Span;
        for (int row = 0; row < rows; row++)
            Q6KWeight.SplitGgml(source.Slice(order.StoredRow(row) * rowBytes, rowBytes),
                packed.AsSpan(row * blocks * Q6KWeight.BlockBytes, blocks * Q6KWeight.BlockBytes), scales.AsSpan(row * blocks, blocks));
        return
        [
            new HostTensor(name + Q6KBlocksSuffix, DType.U8, [rows, blocks * Q6KWeight.BlockBytes], packed),
            new HostTensor(name + Q6KScalesSuffix, DType.F32, [rows, blocks], MemoryMarshal.AsBytes(scales.AsSpan()).ToArray()),
        ];
    }
}
