using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Transformer.Kernels.Quantized.Ggml;
using Transformer.Kernels.Tensors;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// A weight matrix [OutFeatures, InFeatures] of 4-bit codes: blocks of 32 values along K, each 16 bytes of codes
/// q ∈ [0, 15] with one float32 scale d, value = (q − 8)·d. Within a block, byte j holds value j in its low nibble
/// and value j + 16 in its high one: the code bytes of ggml's Q4_0, kept as they are.
/// </summary>
/// <remarks>
/// Why codes and scales apart, not Q4_0's interleaved 18-byte blocks: the int8 matmul driver reads a row's weights
/// as one contiguous run and its scales as plain floats (see <see cref="Q8Format"/>); every 16-byte block then
/// starts 16-byte aligned within its row. Splitting a Q4_0 tensor costs one pass at load and widens each f16 scale
/// to float32 exactly, so the arithmetic is the file's, unchanged (no re-quantization, no float copy of the
/// weights): 4.5 bits a weight in memory against Q8's 9.
/// </remarks>
public sealed class Q4Weight
{
    /// <summary>Bytes of one block's codes.</summary>
    public const int BlockBytes = Q8Format.BlockSize / 2;

    /// <summary>What a code stands for before scaling is code − Offset, in [−8, 7].</summary>
    public const int Offset = 8;

    private readonly ReadOnlyMemory<byte> _codes;
    private readonly ReadOnlyMemory<byte> _scales;

    /// <summary>Views existing code bytes [out, K/2] and float32 scales [out, K/32] (little-endian, as stored in safetensors).</summary>
    /// <exception cref="ArgumentException">A shape or byte length does not match.</exception>
    public Q4Weight(int outFeatures, int inFeatures, ReadOnlyMemory<byte> codes, ReadOnlyMemory<byte> scales)
    {
        if (outFeatures <= 0) throw new ArgumentException($"a Q4 weight needs at least one row, got {outFeatures}", nameof(outFeatures));
        BlocksPerRow = Q8Format.BlocksPerRow(inFeatures);
        if (codes.Length != (long)outFeatures * inFeatures / 2)
            throw new ArgumentException($"Q4 codes hold {codes.Length} bytes, expected [{outFeatures}, {inFeatures / 2}] = {(long)outFeatures * inFeatures / 2}", nameof(codes));
        if (scales.Length != (long)outFeatures * BlocksPerRow * sizeof(float))
            throw new ArgumentException($"Q4 scales hold {scales.Length} bytes, expected [{outFeatures}, {BlocksPerRow}] float32 = {(long)outFeatures * BlocksPerRow * sizeof(float)}", nameof(scales));
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        _codes = codes;
        _scales = scales;
    }

    /// <summary>
    /// Splits a ggml Q4_0 matrix (rows of 18-byte blocks: f16 d, then 16 code bytes) into codes and float32 scales.
    /// </summary>
    /// <exception cref="ArgumentException">The byte count does not make [outFeatures, inFeatures] of Q4_0 blocks.</exception>
    public static Q4Weight FromGgmlQ4_0(ReadOnlySpan<byte> blocks, int outFeatures, int inFeatures)
    {
        if (outFeatures <= 0) throw new ArgumentException($"a Q4 weight needs at least one row, got {outFeatures}", nameof(outFeatures));
        Q8Format.BlocksPerRow(inFeatures); // K must be whole blocks
        int count = GgmlBlocks.Count(blocks.Length, GgmlQ4_0.BlockBytes, checked(outFeatures * inFeatures), GgmlQ4_0.BlockSize, "Q4_0");
        var codes = new byte[(long)count * BlockBytes];
        var scales = new float[count];
        SplitGgmlQ4_0(blocks, codes, scales);
        return new Q4Weight(outFeatures, inFeatures, codes, MemoryMarshal.AsBytes(scales.AsSpan()).ToArray());
    }

    /// <summary>
    /// Q4_0 blocks (f16 d, then 16 code bytes each) split into their code bytes and their scales widened exactly to
    /// float32: one block per 16 bytes of <paramref name="codes"/> and per entry of <paramref name="scales"/>.
    /// </summary>
    public static void SplitGgmlQ4_0(ReadOnlySpan<byte> blocks, Span<byte> codes, Span<float> scales)
    {
        int count = scales.Length;
        if (blocks.Length != count * GgmlQ4_0.BlockBytes || codes.Length != count * BlockBytes)
            throw new ArgumentException($"{blocks.Length} bytes of Q4_0 blocks do not split into {codes.Length} code bytes and {count} scales");
        for (int b = 0; b < count; b++)
        {
            var block = blocks.Slice(b * GgmlQ4_0.BlockBytes, GgmlQ4_0.BlockBytes);
            scales[b] = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
            block[2..].CopyTo(codes.Slice(b * BlockBytes, BlockBytes));
        }
    }

    /// <summary>Quantizes a float32 matrix [outFeatures, inFeatures] to Q4_0 as llama.cpp's reference quantizer does.</summary>
    /// <exception cref="ArgumentException">Shapes do not match, K is not a multiple of 32, or a value is not finite.</exception>
    public static Q4Weight Quantize(ReadOnlySpan<float> matrix, int outFeatures, int inFeatures)
    {
        Q8Format.BlocksPerRow(inFeatures);
        if (outFeatures <= 0 || matrix.Length != (long)outFeatures * inFeatures)
            throw new ArgumentException($"{matrix.Length} values do not fill [{outFeatures}, {inFeatures}]", nameof(matrix));
        var blocks = new byte[(long)matrix.Length / GgmlQ4_0.BlockSize * GgmlQ4_0.BlockBytes];
        GgmlQ4_0.QuantizeRow(matrix, blocks);
        return FromGgmlQ4_0(blocks, outFeatures, inFeatures);
    }

    /// <summary>Quantizes a 2-D host tensor of any float dtype (F32 used in place, F16/BF16 widened first).</summary>
    public static Q4Weight Quantize(HostTensor matrix)
    {
        if (matrix.Shape.Count != 2) throw new ArgumentException($"tensor '{matrix.Name}' is not a matrix: {matrix}", nameof(matrix));
        ReadOnlySpan<float> values = matrix.Type == DType.F32 ? matrix.AsFloat32() : matrix.ToFloat32();
        return Quantize(values, matrix.Shape[0], matrix.Shape[1]);
    }

    /// <summary>Views a pre-quantized pair of tensors: U8 codes [out, K/2] and F32 scales [out, K/32].</summary>
    /// <exception cref="ArgumentException">A dtype or shape does not match.</exception>
    public static Q4Weight FromTensors(HostTensor codes, HostTensor scales)
    {
        if (codes.Type != DType.U8 || codes.Shape.Count != 2)
            throw new ArgumentException($"Q4 codes must be a U8 matrix [out, K/2], got {codes}", nameof(codes));
        int inFeatures = codes.Shape[1] * 2;
        if (scales.Type != DType.F32 || scales.Shape.Count != 2 || scales.Shape[0] != codes.Shape[0]
            || scales.Shape[1] * Q8Format.BlockSize != inFeatures)
            throw new ArgumentException($"Q4 scales must be F32 [{codes.Shape[0]}, {inFeatures / Q8Format.BlockSize}] for {codes}, got {scales}", nameof(scales));
        return new Q4Weight(codes.Shape[0], inFeatures, codes.Data, scales.Data);
    }

    /// <summary>Rows: output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Columns: input features K, a multiple of 32.</summary>
    public int InFeatures { get; }

    /// <summary>Blocks (and scales) per row: K / 32.</summary>
    public int BlocksPerRow { get; }

    /// <summary>All code bytes, row-major [out, K/2].</summary>
    public ReadOnlySpan<byte> Codes => _codes.Span;

    /// <summary>The code bytes as the int8 driver addresses them.</summary>
    internal ReadOnlySpan<sbyte> CodeBytes => MemoryMarshal.Cast<byte, sbyte>(_codes.Span);

    /// <summary>All scales, row-major [out, K/32].</summary>
    public ReadOnlySpan<float> Scales => MemoryMarshal.Cast<byte, float>(_scales.Span);

    /// <summary>The raw code bytes (to save as a U8 tensor).</summary>
    public ReadOnlyMemory<byte> CodeMemory => _codes;

    /// <summary>The raw scale bytes (to save as an F32 tensor).</summary>
    public ReadOnlyMemory<byte> ScaleMemory => _scales;

    /// <summary>Bytes read by one pass over the weight (codes + scales).</summary>
    public long ByteSize => _codes.Length + _scales.Length;

    /// <summary>The signed values (q − 8) of one block, as the int8 dot sees them.</summary>
    public static void DecodeBlock(ReadOnlySpan<byte> codes, Span<sbyte> values)
    {
        if (codes.Length != BlockBytes || values.Length != Q8Format.BlockSize)
            throw new ArgumentException($"a Q4 block is {BlockBytes} code bytes for {Q8Format.BlockSize} values, got {codes.Length} and {values.Length}");
        for (int j = 0; j < BlockBytes; j++)
        {
            values[j] = (sbyte)((codes[j] & 0x0F) - Offset);
            values[j + BlockBytes] = (sbyte)((codes[j] >> 4) - Offset);
        }
    }

    /// <summary>Scalar reference: one output row as float32, (q − 8)·d (the same products as ggml's <c>dequantize_row_q4_0</c>).</summary>
    public void DequantizeRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)OutFeatures) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is not within [0, {OutFeatures})");
        if (destination.Length != InFeatures)
            throw new ArgumentException($"destination holds {destination.Length} values, a row has {InFeatures}", nameof(destination));
        Span<sbyte> values = stackalloc sbyte[Q8Format.BlockSize];
        for (int b = 0; b < BlocksPerRow; b++)
        {
            int block = row * BlocksPerRow + b;
            DecodeBlock(Codes.Slice(block * BlockBytes, BlockBytes), values);
            float d = Scales[block];
            for (int i = 0; i < values.Length; i++) destination[b * Q8Format.BlockSize + i] = values[i] * d;
        }
    }

    /// <summary>
    /// The same matrix as a <see cref="Q8Weight"/>: every value (q − 8) fits int8 and keeps its block's scale, so
    /// this is exact. For a backend without 4-bit kernels: the same arithmetic at int8 size.
    /// </summary>
    public Q8Weight ToQ8()
    {
        var values = new byte[(long)OutFeatures * InFeatures];
        var asSigned = MemoryMarshal.Cast<byte, sbyte>(values.AsSpan());
        int blocks = OutFeatures * BlocksPerRow;
        for (int b = 0; b < blocks; b++)
            DecodeBlock(Codes.Slice(b * BlockBytes, BlockBytes), asSigned.Slice(b * Q8Format.BlockSize, Q8Format.BlockSize));
        return new Q8Weight(OutFeatures, InFeatures, values, _scales.ToArray());
    }
}
