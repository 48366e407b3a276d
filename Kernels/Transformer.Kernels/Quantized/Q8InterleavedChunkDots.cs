using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// How <see cref="Q8InterleavedKernel{TDot, TW}"/> adds one 4-value chunk of 8 rows' weights times one token's
/// broadcast chunk into the rows' int32 dots (lane r: row r). Both implementations give the exact integer
/// Σ w·x of a block, so they are interchangeable bit for bit.
/// </summary>
internal interface IInterleavedChunkDot<TW> where TW : struct
{
    /// <summary>Whether a block's dot starts from the activations' offset sum −128·Σx (<see cref="Q8Activations.OffsetSums"/>).</summary>
    static abstract bool StartsFromOffset { get; }

    /// <summary>The stored chunk (w + 128 per byte) in the form <see cref="Add"/> takes, prepared once per tile for all its tokens.</summary>
    static abstract TW Prepare(Vector256<byte> biased);

    /// <summary>dot + the chunk's four products per lane.</summary>
    static abstract Vector256<int> Add(Vector256<int> dot, TW weights, Vector256<sbyte> chunk);
}

/// <summary>
/// 256-bit vpdpbusd (AVX-VNNI): it multiplies unsigned by signed bytes, so it takes the stored w + 128 as they are
/// and the block's dot starts from −128·Σx to stay exact.
/// </summary>
internal readonly struct VnniChunkDot : IInterleavedChunkDot<Vector256<byte>>
{
    public static bool StartsFromOffset => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Prepare(Vector256<byte> biased) => biased;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Add(Vector256<int> dot, Vector256<byte> weights, Vector256<sbyte> chunk) =>
        AvxVnni.MultiplyWideningAndAdd(dot, weights, chunk);
}

/// <summary>The signed weights of a chunk as the sign trick uses them: |w| for vpmaddubsw's unsigned operand, w for vpsignb.</summary>
internal readonly record struct SignedChunk(Vector256<byte> Magnitude, Vector256<sbyte> Signs);

/// <summary>
/// AVX2 without VNNI (and AVX-512 CPUs without AVX-VNNI, where .NET exposes no vpdpbusd): vpmaddubsw needs an
/// unsigned operand, and w + 128 against x would saturate its int16 pairs (2·255·127), so the sign moves onto x:
/// |w| · (x · sign w) = w · x, pairs ≤ 2·128·127 &lt; 2¹⁵ (w may be −128 in a GGUF Q8_0 file; activations are ±127).
/// vpmaddwd by ones widens the pairs to the lane's int32. |w| and w are formed once per tile, vpsignb once per token.
/// </summary>
internal readonly struct SignedChunkDot : IInterleavedChunkDot<SignedChunk>
{
    public static bool StartsFromOffset => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SignedChunk Prepare(Vector256<byte> biased)
    {
        var signed = (biased ^ Vector256.Create((byte)0x80)).AsSByte();
        return new SignedChunk(Avx2.Abs(signed), signed);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Add(Vector256<int> dot, SignedChunk weights, Vector256<sbyte> chunk) =>
        dot + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(weights.Magnitude, Avx2.Sign(chunk, weights.Signs)), Vector256<short>.One);
}
