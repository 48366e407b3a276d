using System.Runtime.InteropServices;
using Transformer.Kernels.Quantized.Ggml;
using Transformer.Kernels.Tensors;

namespace Transformer.Loader.Gguf;

/// <summary>
/// Q5_0 matrices (what llama.cpp's K-quant mixes store for rows that are not whole super-blocks) held exactly in the
/// engine's Q8 layout: each block's values q − 16 ∈ [−16, 15] as int8 (<c>name.q8</c>) under its f16 d widened to
/// float32 (<c>name.q8_scales</c>), so the int8 kernels run them with no rounding of the weights.
/// </summary>
public static class GgufQ5_0
{
    /// <summary>The two tensors standing for a Q5_0 matrix [rows, columns]; rows are taken in <paramref name="order"/>.</summary>
    internal static HostTensor[] Split(string name, ReadOnlyMemory<byte> data, int rows, int columns, RowOrder order)
    {
        int blocksPerRow = columns / GgmlQ5_0.BlockSize, rowBytes = blocksPerRow * GgmlQ5_0.BlockBytes;
        var values = new byte[(long)rows * columns];
        var scales = new float[(long)rows * blocksPerRow];
        var source = data.Span;
        for (int row = 0; row < rows; row++)
            GgmlQ5_0.SplitRow(source.Slice(order.StoredRow(row) * rowBytes, rowBytes),
                MemoryMarshal.Cast<byte, sbyte>(values.AsSpan(row * columns, columns)), scales.AsSpan(row * blocksPerRow, blocksPerRow));
        return
        [
            new HostTensor(name + ".q8", DType.I8, [rows, columns], values),
            new HostTensor(name + ".q8_scales", DType.F32, [rows, blocksPerRow], MemoryMarshal.AsBytes(scales.AsSpan()).ToArray()),
        ];
    }
}
