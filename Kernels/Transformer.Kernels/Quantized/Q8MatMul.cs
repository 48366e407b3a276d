using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Transformer.Kernels.Cpu.Isa;

namespace Transformer.Kernels.Quantized;

// Each path is its ISA's block dot paired with the float accumulator of the same vector width.
using Avx512Tiled = Q8Tiled<Avx512Q8BlockDot, Q8Accumulator512, Vector512<short>, Vector512<short>, Vector512<int>, Vector512<float>>;
using Avx512PairTiled = Q8Tiled<Avx512PairQ8BlockDot, Q8PairAccumulator512, SignSplit512, Negatable512, Vector512<int>, Vector512<float>>;
using AvxVnniTiled = Q8Tiled<AvxVnniQ8BlockDot, Q8Accumulator256, SignSplit256, Vector256<sbyte>, Vector256<int>, Vector256<float>>;
using Avx2Tiled = Q8Tiled<Avx2Q8BlockDot, Q8Accumulator256, SignSplit256, Vector256<sbyte>, Vector256<int>, Vector256<float>>;
using NeonDpTiled = Q8Tiled<NeonDpQ8BlockDot, Q8AccumulatorNeon, Block128x2, Block128x2, Vector128<int>, Vector128<float>>;
using NeonTiled = Q8Tiled<NeonQ8BlockDot, Q8AccumulatorNeon, Block128x2, Block128x2, Vector128<int>, Vector128<float>>;

/// <summary>
/// The int8 matmul y = x · Wᵀ with Q8 weights and Q8 activations: GEMV for one token (decode),
/// register-tiled GEMM for many (prefill). Callers split output rows across threads with
/// <c>ComputeRows</c> (on the row-major weight, or on its <see cref="Q8InterleavedWeight"/> repack); nothing is allocated per call.
/// </summary>
public static class Q8MatMul
{
    /// <summary>
    /// y[t, o] for output rows [rowStart, rowEnd) and every token t of <paramref name="x"/>;
    /// <paramref name="y"/> is [x.Tokens, w.OutFeatures] row-major. Rows outside the range are
    /// not touched, so threads may fill disjoint ranges of the same output.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes do not match or the row range is outside the weight.</exception>
    /// <exception cref="PlatformNotSupportedException"><paramref name="isa"/> cannot run here.</exception>
    public static void ComputeRows(CpuIsa isa, Q8Activations x, Q8Weight w, Span<float> y, int rowStart, int rowEnd)
    {
        CheckShapes(x, w, y, rowStart, rowEnd);
        if (isa == CpuIsa.Scalar)
        {
            Q8Reference.ComputeRows(x, w, y, rowStart, rowEnd);
            return;
        }
        CpuIsaSelection.Require(isa);
        ref sbyte xq = ref MemoryMarshal.GetReference(x.Values);
        ref float xs = ref MemoryMarshal.GetReference(x.Scales);
        ref sbyte wq = ref MemoryMarshal.GetReference(w.Values);
        ref float ws = ref MemoryMarshal.GetReference(w.Scales);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int k = w.InFeatures, n = w.OutFeatures, tokens = x.Tokens;
        switch (isa)
        {
            // Two blocks per vector where a row's blocks pair up, one otherwise: chosen by the weight's shape
            // alone, so every token count and thread split of a matmul still runs one arithmetic.
            case CpuIsa.Avx512 when w.BlocksPerRow % 2 == 0: Avx512PairTiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            case CpuIsa.Avx512: Avx512Tiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            case CpuIsa.AvxVnni: AvxVnniTiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            case CpuIsa.Avx2: Avx2Tiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            case CpuIsa.NeonDp: NeonDpTiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            case CpuIsa.Neon: NeonTiled.ComputeRows(ref xq, ref xs, tokens, ref wq, ref ws, k, n, ref yr, rowStart, rowEnd); break;
            default: throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown ISA");
        }
    }

    /// <summary>
    /// Whether <paramref name="isa"/>'s int8 matmul runs on a <see cref="Q8InterleavedWeight"/>: every x86 path
    /// (the tile of 8 rows × 4 tokens does no horizontal sums, several times less work per product than the
    /// row-major tiles), with the chunk dot of <see cref="UsesVpdpbusd"/>.
    /// </summary>
    public static bool Interleaves(CpuIsa isa) =>
        isa is CpuIsa.Avx2 or CpuIsa.AvxVnni or CpuIsa.Avx512 && CpuIsaSupport.IsSupported(isa);

    /// <summary>
    /// Whether <paramref name="isa"/>'s interleaved kernel runs here and multiplies with 256-bit vpdpbusd
    /// (<see cref="InterleavedTiles.UsesVpdpbusd"/>); elsewhere, and always on the AVX2 path, vpsignb + vpmaddubsw + vpmaddwd.
    /// </summary>
    public static bool UsesVpdpbusd(CpuIsa isa) => Interleaves(isa) && InterleavedTiles.UsesVpdpbusd(isa);

    /// <summary>
    /// The path whose int8 block step <paramref name="isa"/>'s int8 matmul multiplies with here: on the repack
    /// (<see cref="Interleaves"/>) the AVX-VNNI step (256-bit vpdpbusd) where <see cref="UsesVpdpbusd"/> holds, else the
    /// AVX2 step (256-bit vpmaddubsw); on row-major weights <paramref name="isa"/>'s own. Whoever measures or reports
    /// "the int8 instruction" of a path (bench --limits) asks this, not a copy of the rule.
    /// </summary>
    public static CpuIsa Int8Step(CpuIsa isa) => !Interleaves(isa) ? isa : UsesVpdpbusd(isa) ? CpuIsa.AvxVnni : CpuIsa.Avx2;

    /// <summary>The instruction (sequence) of <paramref name="isa"/>'s int8 matmul here (<see cref="Int8Step"/>), in words.</summary>
    public static string Int8Instruction(CpuIsa isa) => Int8Step(isa) switch
    {
        CpuIsa.Scalar => "int multiply-add",
        CpuIsa.Avx2 => "256-bit vpmaddubsw + vpmaddwd + vpaddd",
        CpuIsa.Avx512 => "512-bit vpmaddubsw + vpmaddwd + vpaddd",
        CpuIsa.AvxVnni => "256-bit vpdpbusd",
        CpuIsa.Neon => "128-bit smull + smull2 + sadalp",
        CpuIsa.NeonDp => "128-bit sdot",
        _ => throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown ISA"),
    };

    /// <summary>
    /// <see cref="ComputeRows(CpuIsa, Q8Activations, Q8Weight, Span{float}, int, int)"/> on a repacked weight:
    /// <see cref="CpuIsa.Scalar"/> runs its specification <see cref="Q8Reference.ComputeRowsFused(Q8Activations, Q8InterleavedWeight, Span{float}, int, int)"/>, and the
    /// ISAs for which <see cref="Interleaves"/> holds the interleaved kernel, equal to it bit for bit.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes do not match or the row range is outside the weight.</exception>
    /// <exception cref="PlatformNotSupportedException"><paramref name="isa"/> has no interleaved kernel here.</exception>
    public static void ComputeRows(CpuIsa isa, Q8Activations x, Q8InterleavedWeight w, Span<float> y, int rowStart, int rowEnd)
    {
        CheckShapes(x, w.OutFeatures, w.InFeatures, y, rowStart, rowEnd);
        if (isa == CpuIsa.Scalar)
        {
            Q8Reference.ComputeRowsFused(x, w, y, rowStart, rowEnd);
            return;
        }
        CpuIsaSelection.Require(isa);
        if (!Interleaves(isa))
            throw new PlatformNotSupportedException($"the {isa} int8 path has no row-interleaved kernel (it needs AVX2)");
        if (UsesVpdpbusd(isa)) Q8InterleavedKernel<VnniChunkDot, Vector256<byte>>.ComputeRows(x, w, y, rowStart, rowEnd);
        else Q8InterleavedKernel<SignedChunkDot, SignedChunk>.ComputeRows(x, w, y, rowStart, rowEnd);
    }

    /// <summary>All output rows on the calling thread.</summary>
    public static void Compute(CpuIsa isa, Q8Activations x, Q8Weight w, Span<float> y) =>
        ComputeRows(isa, x, w, y, 0, w.OutFeatures);

    /// <summary>
    /// The integer dot of one 32-value block computed with <paramref name="isa"/>'s instructions,
    /// exposed so tests can hold every path to <see cref="Q8Reference.BlockDot"/> exactly.
    /// </summary>
    public static int BlockDot(CpuIsa isa, ReadOnlySpan<sbyte> w, ReadOnlySpan<sbyte> x)
    {
        if (isa == CpuIsa.Scalar) return Q8Reference.BlockDot(w, x);
        if (w.Length != Q8Format.BlockSize || x.Length != Q8Format.BlockSize)
            throw new ArgumentException($"a Q8 block has {Q8Format.BlockSize} values, got {w.Length} and {x.Length}");
        CpuIsaSelection.Require(isa);
        ref sbyte wr = ref MemoryMarshal.GetReference(w);
        ref sbyte xr = ref MemoryMarshal.GetReference(x);
        return isa switch
        {
            CpuIsa.Avx512 => Avx512Tiled.BlockDot(ref wr, ref xr),
            CpuIsa.AvxVnni => AvxVnniTiled.BlockDot(ref wr, ref xr),
            CpuIsa.Avx2 => Avx2Tiled.BlockDot(ref wr, ref xr),
            CpuIsa.NeonDp => NeonDpTiled.BlockDot(ref wr, ref xr),
            CpuIsa.Neon => NeonTiled.BlockDot(ref wr, ref xr),
            _ => throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown ISA"),
        };
    }

    /// <summary>
    /// The two integer dots of two consecutive blocks (64 values each side) computed by the AVX-512 path's
    /// two-block step, exposed so tests can hold it to <see cref="Q8Reference.BlockDot"/> exactly.
    /// </summary>
    public static (int First, int Second) BlockPairDot(ReadOnlySpan<sbyte> w, ReadOnlySpan<sbyte> x)
    {
        if (w.Length != 2 * Q8Format.BlockSize || x.Length != 2 * Q8Format.BlockSize)
            throw new ArgumentException($"two Q8 blocks have {2 * Q8Format.BlockSize} values, got {w.Length} and {x.Length}");
        CpuIsaSelection.Require(CpuIsa.Avx512);
        var lanes = Avx512PairQ8BlockDot.Dot(Avx512PairQ8BlockDot.LoadWeights(ref MemoryMarshal.GetReference(w)),
            Avx512PairQ8BlockDot.LoadActivations(ref MemoryMarshal.GetReference(x)));
        return (Vector256.Sum(lanes.GetLower()), Vector256.Sum(lanes.GetUpper()));
    }

    /// <summary>How many float lanes one accumulator of <paramref name="isa"/>'s path has.</summary>
    public static int AccumulatorLanes(CpuIsa isa) => isa switch
    {
        CpuIsa.Scalar => 1,
        CpuIsa.Avx512 => Vector512<float>.Count,
        CpuIsa.AvxVnni or CpuIsa.Avx2 => Vector256<float>.Count,
        CpuIsa.NeonDp or CpuIsa.Neon => Vector128<float>.Count,
        _ => throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown ISA"),
    };

    /// <summary>
    /// The lane sums of four accumulators of <paramref name="isa"/>'s path (<paramref name="accumulators"/>
    /// holds 4 · <see cref="AccumulatorLanes"/> floats, one accumulator after another), reduced
    /// together as a tile does into <paramref name="together"/> and one at a time as a row tail does
    /// into <paramref name="oneByOne"/>, exposed so tests can hold both to <see cref="Q8Reference.LaneSum"/>
    /// bitwise.
    /// </summary>
    public static void AccumulatorSums(CpuIsa isa, ReadOnlySpan<float> accumulators, Span<float> together, Span<float> oneByOne)
    {
        int lanes = AccumulatorLanes(isa);
        if (accumulators.Length != 4 * lanes || together.Length != 4 || oneByOne.Length != 4)
            throw new ArgumentException($"four accumulators of {lanes} lanes and four sums each, got {accumulators.Length}, {together.Length} and {oneByOne.Length}");
        if (isa == CpuIsa.Scalar)
        {
            for (int i = 0; i < 4; i++) together[i] = oneByOne[i] = accumulators[i];
            return;
        }
        CpuIsaSelection.Require(isa);
        ref float a = ref MemoryMarshal.GetReference(accumulators);
        ref float t = ref MemoryMarshal.GetReference(together);
        ref float o = ref MemoryMarshal.GetReference(oneByOne);
        switch (isa)
        {
            case CpuIsa.Avx512: Avx512Tiled.LaneSums(ref a, ref t, ref o); break;
            case CpuIsa.AvxVnni: AvxVnniTiled.LaneSums(ref a, ref t, ref o); break;
            case CpuIsa.Avx2: Avx2Tiled.LaneSums(ref a, ref t, ref o); break;
            case CpuIsa.NeonDp: NeonDpTiled.LaneSums(ref a, ref t, ref o); break;
            case CpuIsa.Neon: NeonTiled.LaneSums(ref a, ref t, ref o); break;
        }
    }

    internal static void CheckShapes(Q8Activations x, Q8Weight w, Span<float> y, int rowStart, int rowEnd) =>
        CheckShapes(x, w.OutFeatures, w.InFeatures, y, rowStart, rowEnd);

    internal static void CheckShapes(Q8Activations x, int outFeatures, int inFeatures, Span<float> y, int rowStart, int rowEnd)
    {
        if (x.Features != inFeatures)
            throw new ArgumentException($"int8 matmul: activations have K = {x.Features}, weight [{outFeatures}, {inFeatures}] needs {inFeatures}");
        if (y.Length != (long)x.Tokens * outFeatures)
            throw new ArgumentException($"int8 matmul: output holds {y.Length} values, expected [{x.Tokens}, {outFeatures}]");
        if (rowStart < 0 || rowEnd > outFeatures || rowStart > rowEnd)
            throw new ArgumentOutOfRangeException(nameof(rowStart), $"row range [{rowStart}, {rowEnd}) is not within [0, {outFeatures})");
    }
}
