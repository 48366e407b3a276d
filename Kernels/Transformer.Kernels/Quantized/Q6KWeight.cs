using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Transformer.Kernels.Quantized.Ggml;
using Transformer.Kernels.Tensors;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// A Q6_K matrix [OutFeatures, InFeatures] in the layout the kernels read: per block of 32 values along K,
/// <see cref="BlockBytes"/> = 26 bytes and one float32 scale d (the super-block's f16 d, widened exactly). The 26 bytes
/// are 16 bytes of low nibbles (byte j: value j low, value j + 16 high, as <see cref="Q4Weight"/>), 8 bytes of high
/// bit pairs (byte j, pair p: value j + 8p) and the two int8 scales of the block's sub-blocks of 16. Value =
/// (d·s)·(q − 32), the same float operations as ggml's <c>dequantize_row_q6_K</c>.
/// </summary>
/// <remarks>
/// Why rearranged: ggml spreads a super-block's 256 values over runs of 32 that share bytes (four runs per 64 low-nibble
/// bytes, four per 32 high-bit bytes). Gathering each 32 values' bits and scales into 26 adjacent bytes lets the int8
/// driver step through a row block by block, and the high pairs' order lets one variable shift per 8 values put them in
/// place. The integer dot of a block applies its two sub-block scales (s_a·Σ_a + s_b·Σ_b, at most 128·32·127·32 =
/// 16 646 144 &lt; 2²⁴ in magnitude, so it converts to float exactly); the float side then needs only d, as for Q8.
/// 7.5 bits a weight in memory against the file's 6.5625. Bits are moved, none re-quantized.
/// </remarks>
public sealed class Q6KWeight
{
    /// <summary>Bytes of one 32-value block: 16 nibble bytes, 8 high-bit bytes, 2 int8 scales.</summary>
    public const int BlockBytes = 16 + 8 + 2;

    /// <summary>What a 6-bit code stands for before scaling is code − Offset, in [−32, 31].</summary>
    public const int Offset = 32;

    private const int SubBlocks = GgmlQ6_K.BlockSize / Q8Format.BlockSize;

    private readonly ReadOnlyMemory<byte> _blocks, _scales;

    /// <summary>Views block bytes [out, K/32·26] and float32 scales [out, K/32] (little-endian).</summary>
    /// <exception cref="ArgumentException">A shape or byte length does not match.</exception>
    public Q6KWeight(int outFeatures, int inFeatures, ReadOnlyMemory<byte> blocks, ReadOnlyMemory<byte> scales)
    {
        if (outFeatures <= 0) throw new ArgumentException($"a Q6_K weight needs at least one row, got {outFeatures}", nameof(outFeatures));
        BlocksPerRow = Q8Format.BlocksPerRow(inFeatures);
        long count = (long)outFeatures * BlocksPerRow;
        if (blocks.Length != count * BlockBytes)
            throw new ArgumentException($"Q6_K blocks hold {blocks.Length} bytes, expected [{outFeatures}, {BlocksPerRow * BlockBytes}] = {count * BlockBytes}", nameof(blocks));
        if (scales.Length != count * sizeof(float))
            throw new ArgumentException($"Q6_K scales hold {scales.Length} bytes, expected [{outFeatures}, {BlocksPerRow}] float32 = {count * sizeof(float)}", nameof(scales));
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        (_blocks, _scales) = (blocks, scales);
    }

    /// <summary>Rearranges a ggml Q6_K matrix (rows of 210-byte super-blocks of 256) into this layout.</summary>
    /// <exception cref="ArgumentException">The byte count does not make [outFeatures, inFeatures] of Q6_K super-blocks.</exception>
    public static Q6KWeight FromGgml(ReadOnlySpan<byte> superBlocks, int outFeatures, int inFeatures)
    {
        if (outFeatures <= 0) throw new ArgumentException($"a Q6_K weight needs at least one row, got {outFeatures}", nameof(outFeatures));
        if (inFeatures <= 0 || inFeatures % GgmlQ6_K.BlockSize != 0)
            throw new ArgumentException($"Q6_K rows are whole super-blocks of {GgmlQ6_K.BlockSize} values, got {inFeatures}", nameof(inFeatures));
        int count = GgmlBlocks.Count(superBlocks.Length, GgmlQ6_K.BlockBytes, checked(outFeatures * inFeatures), GgmlQ6_K.BlockSize, "Q6_K");
        var blocks = new byte[(long)count * SubBlocks * BlockBytes];
        var scales = new float[count * SubBlocks];
        SplitGgml(superBlocks, blocks, scales);
        return new Q6KWeight(outFeatures, inFeatures, blocks, MemoryMarshal.AsBytes(scales.AsSpan()).ToArray());
    }

    /// <summary>Q6_K super-blocks rearranged: 8 blocks of <see cref="BlockBytes"/> each, each with the super-block's d.</summary>
    public static void SplitGgml(ReadOnlySpan<byte> superBlocks, Span<byte> blocks, Span<float> scales)
    {
        int count = superBlocks.Length / GgmlQ6_K.BlockBytes;
        if (superBlocks.Length != count * GgmlQ6_K.BlockBytes || scales.Length != count * SubBlocks || blocks.Length != scales.Length * BlockBytes)
            throw new ArgumentException($"{superBlocks.Length} bytes of Q6_K super-blocks do not split into {blocks.Length} block bytes and {scales.Length} scales");
        Span<byte> codes = stackalloc byte[Q8Format.BlockSize];
        for (int sb = 0; sb < count; sb++)
        {
            var source = superBlocks.Slice(sb * GgmlQ6_K.BlockBytes, GgmlQ6_K.BlockBytes);
            var ql = source[..128];
            var qh = source.Slice(128, 64);
            var sc = source.Slice(192, 16);
            float d = (float)BinaryPrimitives.ReadHalfLittleEndian(source[208..]);
            for (int j = 0; j < SubBlocks; j++)
            {
                // Block j is run j % 4 of half j / 4: its low nibbles sit in ql[64h + 32(r & 1) ..] (low nibble for runs
                // 0 and 1, high for 2 and 3), its high pairs at bits 2r of qh[32h ..], its scales at sc[8h + 2r ..].
                int half = j / 4, run = j % 4;
                var low = ql.Slice(half * 64 + (run & 1) * 32, 32);
                var high = qh.Slice(half * 32, 32);
                int lowShift = run >> 1 << 2, highShift = 2 * run;
                for (int l = 0; l < 32; l++)
                    codes[l] = (byte)(((low[l] >> lowShift) & 0x0F) | (((high[l] >> highShift) & 3) << 4));
                var target = blocks.Slice((sb * SubBlocks + j) * BlockBytes, BlockBytes);
                Pack(codes, (sbyte)sc[half * 8 + 2 * run], (sbyte)sc[half * 8 + 2 * run + 1], target);
                scales[sb * SubBlocks + j] = d;
            }
        }
    }

    /// <summary>32 six-bit codes and the two sub-block scales packed into one block of this layout.</summary>
    public static void Pack(ReadOnlySpan<byte> codes, sbyte scaleLow, sbyte scaleHigh, Span<byte> block)
    {
        if (codes.Length != Q8Format.BlockSize || block.Length != BlockBytes)
            throw new ArgumentException($"a Q6_K block packs {Q8Format.BlockSize} codes into {BlockBytes} bytes, got {codes.Length} and {block.Length}");
        block.Clear();
        for (int i = 0; i < Q8Format.BlockSize; i++)
        {
            int q = codes[i];
            if ((uint)q > 63) throw new ArgumentException($"code {q} of value {i} does not fit 6 bits", nameof(codes));
            block[i % 16] |= (byte)((q & 0x0F) << (i / 16 * 4));
            block[16 + i % 8] |= (byte)((q >> 4) << (2 * (i / 8)));
        }
        block[24] = (byte)scaleLow;
        block[25] = (byte)scaleHigh;
    }

    /// <summary>Quantizes a float32 matrix [outFeatures, inFeatures] as llama.cpp's reference Q6_K quantizer does (<see cref="GgmlQ6_K.QuantizeRow"/>).</summary>
    /// <exception cref="ArgumentException">Shapes do not match, K is not a multiple of 256, or a value is not finite.</exception>
    public static Q6KWeight Quantize(ReadOnlySpan<float> matrix, int outFeatures, int inFeatures)
    {
        if (outFeatures <= 0 || inFeatures <= 0 || inFeatures % GgmlQ6_K.BlockSize != 0 || matrix.Length != (long)outFeatures * inFeatures)
            throw new ArgumentException($"{matrix.Length} values do not fill [{outFeatures}, {inFeatures}] of whole Q6_K super-blocks", nameof(matrix));
        var blocks = new byte[(long)matrix.Length / GgmlQ6_K.BlockSize * GgmlQ6_K.BlockBytes];
        GgmlQ6_K.QuantizeRow(matrix, blocks);
        return FromGgml(blocks, outFeatures, inFeatures);
    }

    /// <summary>Views tensors of this layout: U8 blocks [out, K/32·26], F32 scales [out, K/32].</summary>
    /// <exception cref="ArgumentException">A dtype or shape does not match.</exception>
    public static Q6KWeight FromTensors(HostTensor blocks, HostTensor scales)
    {
        if (blocks.Type != DType.U8 || blocks.Shape.Count != 2 || blocks.Shape[1] % BlockBytes != 0)
            throw new ArgumentException($"Q6_K blocks must be a U8 matrix [out, K/32·{BlockBytes}], got {blocks}", nameof(blocks));
        int inFeatures = blocks.Shape[1] / BlockBytes * Q8Format.BlockSize;
        if (scales.Type != DType.F32 || scales.Shape.Count != 2 || scales.Shape[0] != blocks.Shape[0] || scales.Shape[1] * Q8Format.BlockSize != inFeatures)
            throw new ArgumentException($"Q6_K scales must be F32 [{blocks.Shape[0]}, {inFeatures / Q8Format.BlockSize}] for {blocks}, got {scales}", nameof(scales));
        return new Q6KWeight(blocks.Shape[0], inFeatures, blocks.Data, scales.Data);
    }

    /// <summary>Rows: output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Columns: input features K.</summary>
    public int InFeatures { get; }

    /// <summary>Blocks of 32 per row.</summary>
    public int BlocksPerRow { get; }

    /// <summary>All block bytes, row-major [out, K/32·26].</summary>
    public ReadOnlySpan<byte> Blocks => _blocks.Span;

    /// <summary>The block bytes as the int8 driver addresses them.</summary>
    internal ReadOnlySpan<sbyte> BlockBytesSigned => MemoryMarshal.Cast<byte, sbyte>(_blocks.Span);

    /// <summary>Super-block scales d, one per block, row-major [out, K/32].</summary>
    public ReadOnlySpan<float> Scales => MemoryMarshal.Cast<byte, float>(_scales.Span);

    /// <summary>The raw tensors' bytes.</summary>
    public (ReadOnlyMemory<byte> Blocks, ReadOnlyMemory<byte> Scales) Memory => (_blocks, _scales);

    /// <summary>Bytes read by one pass over the weight.</summary>
    public long ByteSize => _blocks.Length + _scales.Length;

    /// <summary>The 32 signed values q − 32 of one block and its two sub-block scales.</summary>
    public static (sbyte ScaleLow, sbyte ScaleHigh) DecodeBlock(ReadOnlySpan<byte> block, Span<sbyte> values)
    {
        if (block.Length != BlockBytes || values.Length != Q8Format.BlockSize)
            throw new ArgumentException($"a Q6_K block is {BlockBytes} bytes for {Q8Format.BlockSize} values, got {block.Length} and {values.Length}");
        for (int i = 0; i < Q8Format.BlockSize; i++)
        {
            int low = (block[i % 16] >> (i / 16 * 4)) & 0x0F;
            int high = (block[16 + i % 8] >> (2 * (i / 8))) & 3;
            values[i] = (sbyte)((low | high << 4) - Offset);
        }
        return ((sbyte)block[24], (sbyte)block[25]);
    }

    /// <summary>Scalar reference: one row as float32, (d·s)·(q − 32), bit-identical to ggml's <c>dequantize_row_q6_K</c>.</summary>
    public void DequantizeRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)OutFeatures) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is not within [0, {OutFeatures})");
        if (destination.Length != InFeatures)
            throw new ArgumentException($"destination holds {destination.Length} values, a row has {InFeatures}", nameof(destination));
        Span<sbyte> q = stackalloc sbyte[Q8Format.BlockSize];
        for (int b = 0; b < BlocksPerRow; b++)
        {
            int block = row * BlocksPerRow + b;
            var (low, high) = DecodeBlock(Blocks.Slice(block * BlockBytes, BlockBytes), q);
            float d = Scales[block];
            for (int i = 0; i < q.Length; i++) destination[b * Q8Format.BlockSize + i] = d * (i < 16 ? low : high) * q[i];
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
