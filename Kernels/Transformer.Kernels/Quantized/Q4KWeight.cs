using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Transformer.Kernels.Quantized.Ggml;
using Transformer.Kernels.Tensors;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// A Q4_K matrix [OutFeatures, InFeatures] in the layout the kernels read: per block of 32 values along K, 16 bytes of
/// unsigned 4-bit codes q ∈ [0, 15] (byte j: value j in its low nibble, value j + 16 in its high one, as
/// <see cref="Q4Weight"/>), a float32 scale d·s and a float32 minimum dmin·m; value = (d·s)·q − dmin·m, the same
/// float operations as ggml's <c>dequantize_row_q4_K</c>, so the same bits.
/// </summary>
/// <remarks>
/// Why not the 144-byte super-blocks as stored: in a super-block the 8 sub-blocks of 32 share 4 runs of 32 code bytes
/// (sub-block 2c in the low nibbles of run c, 2c + 1 in the high ones) and 12 bytes of packed 6-bit scales. Moving each
/// sub-block's nibbles into its own 16 bytes and widening its scale and minimum (the products ggml forms before
/// using them) lets the int8 matmul driver run a sub-block exactly as a 32-value block of any other format, against
/// the same Q8 activations. Nothing is re-quantized: the codes are the file's, the two products are ggml's. The cost is
/// memory: 6 bits a weight against the file's 4.5 (the float scale and minimum per 32 values).
/// </remarks>
public sealed class Q4KWeight
{
    /// <summary>Bytes of one 32-value block's codes.</summary>
    public const int BlockBytes = Q8Format.BlockSize / 2;

    private readonly ReadOnlyMemory<byte> _codes, _scales, _mins;

    /// <summary>Views code bytes [out, K/2], float32 scales [out, K/32] and float32 minimums [out, K/32] (little-endian).</summary>
    /// <exception cref="ArgumentException">A shape or byte length does not match.</exception>
    public Q4KWeight(int outFeatures, int inFeatures, ReadOnlyMemory<byte> codes, ReadOnlyMemory<byte> scales, ReadOnlyMemory<byte> mins)
    {
        if (outFeatures <= 0) throw new ArgumentException($"a Q4_K weight needs at least one row, got {outFeatures}", nameof(outFeatures));
        BlocksPerRow = Q8Format.BlocksPerRow(inFeatures);
        long blocks = (long)outFeatures * BlocksPerRow;
        if (codes.Length != blocks * BlockBytes)
            throw new ArgumentException($"Q4_K codes hold {codes.Length} bytes, expected [{outFeatures}, {inFeatures / 2}] = {blocks * BlockBytes}", nameof(codes));
        if (scales.Length != blocks * sizeof(float))
            throw new ArgumentException($"Q4_K scales hold {scales.Length} bytes, expected [{outFeatures}, {BlocksPerRow}] float32 = {blocks * sizeof(float)}", nameof(scales));
        if (mins.Length != blocks * sizeof(float))
            throw new ArgumentException($"Q4_K minimums hold {mins.Length} bytes, expected [{outFeatures}, {BlocksPerRow}] float32 = {blocks * sizeof(float)}", nameof(mins));
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        (_codes, _scales, _mins) = (codes, scales, mins);
    }

    /// <summary>Rearranges a ggml Q4_K matrix (rows of 144-byte super-blocks of 256) into this layout.</summary>
    /// <exception cref="ArgumentException">The byte count does not make [outFeatures, inFeatures] of Q4_K super-blocks.</exception>
    public static Q4KWeight FromGgml(ReadOnlySpan<byte> superBlocks, int outFeatures, int inFeatures)
    {
        if (outFeatures <= 0) throw new ArgumentException($"a Q4_K weight needs at least one row, got {outFeatures}", nameof(outFeatures));
        if (inFeatures <= 0 || inFeatures % GgmlQ4_K.BlockSize != 0)
            throw new ArgumentException($"Q4_K rows are whole super-blocks of {GgmlQ4_K.BlockSize} values, got {inFeatures}", nameof(inFeatures));
        int count = GgmlBlocks.Count(superBlocks.Length, GgmlQ4_K.BlockBytes, checked(outFeatures * inFeatures), GgmlQ4_K.BlockSize, "Q4_K");
        int blocks = count * SubBlocks;
        var codes = new byte[(long)blocks * BlockBytes];
        var scales = new float[blocks];
        var mins = new float[blocks];
        SplitGgml(superBlocks, codes, scales, mins);
        return new Q4KWeight(outFeatures, inFeatures, codes, MemoryMarshal.AsBytes(scales.AsSpan()).ToArray(), MemoryMarshal.AsBytes(mins.AsSpan()).ToArray());
    }

    /// <summary>Sub-blocks of 32 in a super-block.</summary>
    private const int SubBlocks = GgmlQ4_K.BlockSize / Q8Format.BlockSize;

    /// <summary>
    /// Q4_K super-blocks rearranged: 8 blocks each, 16 code bytes per block in <paramref name="codes"/>, its scale d·s
    /// and minimum dmin·m in <paramref name="scales"/> and <paramref name="mins"/>.
    /// </summary>
    public static void SplitGgml(ReadOnlySpan<byte> superBlocks, Span<byte> codes, Span<float> scales, Span<float> mins)
    {
        int count = superBlocks.Length / GgmlQ4_K.BlockBytes;
        if (superBlocks.Length != count * GgmlQ4_K.BlockBytes || scales.Length != count * SubBlocks || mins.Length != scales.Length
            || codes.Length != scales.Length * BlockBytes)
            throw new ArgumentException($"{superBlocks.Length} bytes of Q4_K super-blocks do not split into {codes.Length} code bytes, {scales.Length} scales and {mins.Length} minimums");
        for (int sb = 0; sb < count; sb++)
        {
            var block = superBlocks.Slice(sb * GgmlQ4_K.BlockBytes, GgmlQ4_K.BlockBytes);
            float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
            float dmin = (float)BinaryPrimitives.ReadHalfLittleEndian(block[2..]);
            var packed = block.Slice(4, 12);
            var q = block[16..];
            for (int j = 0; j < SubBlocks; j++)
            {
                var (s, m) = GgmlQ4_K.ScaleAndMin(j, packed);
                scales[sb * SubBlocks + j] = d * s;
                mins[sb * SubBlocks + j] = dmin * m;
                // Sub-block j is run j/2 of 32 code bytes, in its low nibbles when j is even, its high ones when odd.
                var run = q.Slice(j / 2 * 32, 32);
                var target = codes.Slice((sb * SubBlocks + j) * BlockBytes, BlockBytes);
                int shift = (j & 1) * 4;
                for (int i = 0; i < BlockBytes; i++)
                    target[i] = (byte)(((run[i] >> shift) & 0x0F) | (((run[i + BlockBytes] >> shift) & 0x0F) << 4));
            }
        }
    }

    /// <summary>Quantizes a float32 matrix [outFeatures, inFeatures] as llama.cpp's reference Q4_K quantizer does (<see cref="GgmlQ4_K.QuantizeRow"/>).</summary>
    /// <exception cref="ArgumentException">Shapes do not match, K is not a multiple of 256, or a value is not finite.</exception>
    public static Q4KWeight Quantize(ReadOnlySpan<float> matrix, int outFeatures, int inFeatures)
    {
        if (outFeatures <= 0 || inFeatures <= 0 || inFeatures % GgmlQ4_K.BlockSize != 0 || matrix.Length != (long)outFeatures * inFeatures)
            throw new ArgumentException($"{matrix.Length} values do not fill [{outFeatures}, {inFeatures}] of whole Q4_K super-blocks", nameof(matrix));
        var blocks = new byte[(long)matrix.Length / GgmlQ4_K.BlockSize * GgmlQ4_K.BlockBytes];
        GgmlQ4_K.QuantizeRow(matrix, blocks);
        return FromGgml(blocks, outFeatures, inFeatures);
    }

    /// <summary>Views tensors of this layout: U8 codes [out, K/2], F32 scales and minimums [out, K/32].</summary>
    /// <exception cref="ArgumentException">A dtype or shape does not match.</exception>
    public static Q4KWeight FromTensors(HostTensor codes, HostTensor scales, HostTensor mins)
    {
        if (codes.Type != DType.U8 || codes.Shape.Count != 2)
            throw new ArgumentException($"Q4_K codes must be a U8 matrix [out, K/2], got {codes}", nameof(codes));
        int inFeatures = codes.Shape[1] * 2;
        foreach (var (tensor, what) in new[] { (scales, "scales"), (mins, "minimums") })
            if (tensor.Type != DType.F32 || tensor.Shape.Count != 2 || tensor.Shape[0] != codes.Shape[0] || tensor.Shape[1] * Q8Format.BlockSize != inFeatures)
                throw new ArgumentException($"Q4_K {what} must be F32 [{codes.Shape[0]}, {inFeatures / Q8Format.BlockSize}] for {codes}, got {tensor}", what);
        return new Q4KWeight(codes.Shape[0], inFeatures, codes.Data, scales.Data, mins.Data);
    }

    /// <summary>Rows: output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Columns: input features K.</summary>
    public int InFeatures { get; }

    /// <summary>Blocks of 32 per row.</summary>
    public int BlocksPerRow { get; }

    /// <summary>All code bytes, row-major [out, K/2].</summary>
    public ReadOnlySpan<byte> Codes => _codes.Span;

    /// <summary>The code bytes as the int8 driver addresses them.</summary>
    internal ReadOnlySpan<sbyte> CodeBytes => MemoryMarshal.Cast<byte, sbyte>(_codes.Span);

    /// <summary>Block scales d·s, row-major [out, K/32].</summary>
    public ReadOnlySpan<float> Scales => MemoryMarshal.Cast<byte, float>(_scales.Span);

    /// <summary>Block minimums dmin·m, row-major [out, K/32].</summary>
    public ReadOnlySpan<float> Mins => MemoryMarshal.Cast<byte, float>(_mins.Span);

    /// <summary>The raw tensors' bytes (to save or hand on).</summary>
    public (ReadOnlyMemory<byte> Codes, ReadOnlyMemory<byte> Scales, ReadOnlyMemory<byte> Mins) Memory => (_codes, _scales, _mins);

    /// <summary>Bytes read by one pass over the weight.</summary>
    public long ByteSize => _codes.Length + _scales.Length + _mins.Length;

    /// <summary>The 32 unsigned codes of one block, in value order.</summary>
    public static void DecodeBlock(ReadOnlySpan<byte> codes, Span<byte> values)
    {
        if (codes.Length != BlockBytes || values.Length != Q8Format.BlockSize)
            throw new ArgumentException($"a Q4_K block is {BlockBytes} code bytes for {Q8Format.BlockSize} values, got {codes.Length} and {values.Length}");
        for (int j = 0; j < BlockBytes; j++)
        {
            values[j] = (byte)(codes[j] & 0x0F);
            values[j + BlockBytes] = (byte)(codes[j] >> 4);
        }
    }

    /// <summary>Scalar reference: one row as float32, (d·s)·q − dmin·m, bit-identical to ggml's <c>dequantize_row_q4_K</c>.</summary>
    public void DequantizeRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)OutFeatures) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is not within [0, {OutFeatures})");
        if (destination.Length != InFeatures)
            throw new ArgumentException($"destination holds {destination.Length} values, a row has {InFeatures}", nameof(destination));
        Span<byte> q = stackalloc byte[Q8Format.BlockSize];
        for (int b = 0; b < BlocksPerRow; b++)
        {
            int block = row * BlocksPerRow + b;
            DecodeBlock(Codes.Slice(block * BlockBytes, BlockBytes), q);
            float scale = Scales[block], min = Mins[block];
            for (int i = 0; i < q.Length; i++) destination[b * Q8Format.BlockSize + i] = scale * q[i] - min;
        }
    }

    /// <summary>The whole matrix as float32 [out, K] (for a backend without K-quant kernels).</summary>
    public float[] Dequantize()
    {
        var values = new float[(long)OutFeatures * InFeatures];
        for (int o = 0; o < OutFeatures; o++) DequantizeRow(o, values.AsSpan(o * InFeatures, InFeatures));
        return values;
    }
}
