using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Transformer.Kernels.Quantized.Ggml;

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

    private readonly byte[] _codes;
    private readonly float[] _scales;

    private Q4Weight(int outFeatures, int inFeatures, byte[] codes, float[] scales)
    {
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        BlocksPerRow = inFeatures / Q8Format.BlockSize;
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
        for (int b = 0; b < count; b++)
        {
            var block = blocks.Slice(b * GgmlQ4_0.BlockBytes, GgmlQ4_0.BlockBytes);
            scales[b] = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
            block[2..].CopyTo(codes.AsSpan(b * BlockBytes, BlockBytes));
        }
        return new Q4Weight(outFeatures, inFeatures, codes, scales);
    }

    /// <summary>Rows: output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Columns: input features K, a multiple of 32.</summary>
    public int InFeatures { get; }

    /// <summary>Blocks (and scales) per row: K / 32.</summary>
    public int BlocksPerRow { get; }

    /// <summary>All code bytes, row-major [out, K/2].</summary>
    public ReadOnlySpan<byte> Codes => _codes;

    /// <summary>The code bytes as the int8 driver addresses them.</summary>
    internal ReadOnlySpan<sbyte> CodeBytes => MemoryMarshal.Cast<byte, sbyte>(_codes.AsSpan());

    /// <summary>All scales, row-major [out, K/32].</summary>
    public ReadOnlySpan<float> Scales => _scales;

    /// <summary>Bytes read by one pass over the weight (codes + scales).</summary>
    public long ByteSize => _codes.Length + (long)_scales.Length * sizeof(float);

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
            float d = _scales[block];
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
        return new Q8Weight(OutFeatures, InFeatures, values, MemoryMarshal.AsBytes(_scales.AsSpan()).ToArray());
    }
}
