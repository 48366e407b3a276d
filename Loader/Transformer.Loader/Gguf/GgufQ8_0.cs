using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Quantized.Ggml;
using Transformer.Kernels.Tensors;

namespace Transformer.Loader.Gguf;

/// <summary>
/// ggml's Q8_0 (blocks of 32 values: an f16 scale d, then 32 int8 q; value = d·q) turned into the engine's Q8
/// layout (<see cref="Q8Format"/>: the same 32-value blocks, int8 values and float32 scales in separate arrays).
/// </summary>
/// <remarks>
/// <para>This is a repack, not zero-copy: ggml interleaves each block's scale with its values (34-byte blocks), while
/// the engine's int8 kernels read a row's values as one contiguous run and its scales as a float array (why, and
/// what it measures, is in <see cref="Q8Format"/>). The copy costs the file's size once at load.</para>
/// <para>It is lossless: every f16 is exactly representable as an f32, and the values are copied unchanged, so
/// d·q is the same number in both layouts. One exception: the engine's kernels need q in [−127, 127] (see
/// <see cref="Q8Format"/>); llama.cpp's quantizer never writes −128, but another writer could, and such a
/// tensor is dequantized to float32 instead (still exact: d·q is an f16 times a small integer).</para>
/// </remarks>
public static class GgufQ8_0
{
    private const int BlockSize = GgmlQ8_0.BlockSize, BlockBytes = GgmlQ8_0.BlockBytes;

    /// <summary>
    /// The tensors standing for a Q8_0 matrix [rows, columns] named <paramref name="name"/>: <c>name.q8</c> and
    /// <c>name.q8_scales</c>, or a float32 <c>name</c> when a block holds −128. Rows are taken in
    /// <paramref name="order"/>.
    /// </summary>
    internal static HostTensor[] Repack(string name, ReadOnlyMemory<byte> data, int rows, int columns, RowOrder order)
    {
        int blocksPerRow = columns / BlockSize;
        int rowBytes = blocksPerRow * BlockBytes;
        var values = new byte[(long)rows * columns];
        var scales = new float[(long)rows * blocksPerRow];
        var source = data.Span;
        bool holdsMinus128 = false;
        for (int row = 0; row < rows; row++)
        {
            var stored = source.Slice(order.StoredRow(row) * rowBytes, rowBytes);
            for (int b = 0; b < blocksPerRow; b++)
            {
                var block = stored.Slice(b * BlockBytes, BlockBytes);
                scales[(long)row * blocksPerRow + b] = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
                var q = block[2..];
                q.CopyTo(values.AsSpan((int)((long)row * columns + b * BlockSize), BlockSize));
                holdsMinus128 |= q.Contains((byte)0x80);
            }
        }

        if (holdsMinus128)
        {
            var floats = new float[values.Length];
            var signed = MemoryMarshal.Cast<byte, sbyte>(values.AsSpan());
            for (long i = 0; i < floats.Length; i++) floats[i] = scales[i / BlockSize] * signed[(int)i];
            return [HostTensor.FromFloats(name, floats, rows, columns)];
        }
        return
        [
            new HostTensor(name + ".q8", DType.I8, [rows, columns], values),
            new HostTensor(name + ".q8_scales", DType.F32, [rows, blocksPerRow], MemoryMarshal.AsBytes(scales.AsSpan()).ToArray()),
        ];
    }
}
