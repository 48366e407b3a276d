using System.Runtime.InteropServices;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Quantized.Ggml;
using Transformer.Kernels.Tensors;

namespace Transformer.Loader.Gguf;

/// <summary>
/// Q4_0 matrices kept as stored: each row's 18-byte blocks split into the 16 code bytes (<c>name.q4</c>, U8
/// [rows, columns/2]) and the f16 scale widened exactly to float32 (<c>name.q4_scales</c>, F32 [rows, columns/32]),
/// the layout <see cref="Q4Weight"/> and its kernels read. One pass at load, no arithmetic on the values.
/// </summary>
public static class GgufQ4_0
{
    /// <summary>Suffix of the code bytes of a matrix kept in 4 bits.</summary>
    public const string CodesSuffix = ".q4";

    /// <summary>Suffix of the float32 block scales that go with <see cref="CodesSuffix"/>.</summary>
    public const string ScalesSuffix = ".q4_scales";

    /// <summary>The two tensors standing for a Q4_0 matrix [rows, columns]; rows are taken in <paramref name="order"/>.</summary>
    internal static HostTensor[] Split(string name, ReadOnlyMemory<byte> data, int rows, int columns, RowOrder order)
    {
        int blocksPerRow = columns / GgmlQ4_0.BlockSize;
        int rowBytes = blocksPerRow * GgmlQ4_0.BlockBytes;
        var codes = new byte[(long)rows * blocksPerRow * Q4Weight.BlockBytes];
        var scales = new float[(long)rows * blocksPerRow];
        var source = data.Span;
        for (int row = 0; row < rows; row++)
            Q4Weight.SplitGgmlQ4_0(source.Slice(order.StoredRow(row) * rowBytes, rowBytes),
                codes.AsSpan(row * blocksPerRow * Q4Weight.BlockBytes, blocksPerRow * Q4Weight.BlockBytes),
                scales.AsSpan(row * blocksPerRow, blocksPerRow));
        return
        [
            new HostTensor(name + CodesSuffix, DType.U8, [rows, columns / 2], codes),
            new HostTensor(name + ScalesSuffix, DType.F32, [rows, blocksPerRow], MemoryMarshal.AsBytes(scales.AsSpan()).ToArray()),
        ];
    }
}
