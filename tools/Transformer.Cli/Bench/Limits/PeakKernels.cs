using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;

namespace Transformer.Cli.Bench.Limits;

/// <summary>
/// Tight loops of the instruction each kernel path computes with, on registers only: f32 fused multiply-add and the
/// path's int8 dot step. Independent accumulators cover the instructions' latency (ten where the accumulator is an
/// operand: FMA, vpdpbusd, sdot), so the loop runs at the core's issue rate: an upper bound no matmul on that path can
/// beat. Where the multiply does not read the accumulator (vpmaddubsw, smull), each chain steps its own input every
/// trip (one byte add) so the JIT can neither hoist nor merge the multiplies. Each returns its accumulators folded to
/// one number so the JIT cannot drop the work.
/// </summary>
internal static class PeakKernels
{
    /// <summary>f32 operations (a multiply and an add each) of <paramref name="iterations"/> loop trips on <paramref name="isa"/>.</summary>
    public static long FmaOperations(CpuIsa isa, long iterations) => 2L * 10 * FloatLanes(isa) * iterations;

    /// <summary>int8 operations (a multiply and an add per product) of <paramref name="iterations"/> loop trips on <paramref name="isa"/>.</summary>
    public static long Int8Operations(CpuIsa isa, long iterations) => 2L * Int8Chains(Q8MatMul.Int8Step(isa)) * Int8Products(Q8MatMul.Int8Step(isa)) * iterations;

    /// <summary>Accumulators of each int8 loop: as many as the registers hold (AVX2 has 16 vector registers for two per chain).</summary>
    private static int Int8Chains(CpuIsa isa) => isa switch
    {
        CpuIsa.Scalar => 5,
        CpuIsa.Avx2 => 6,
        _ => 10,
    };

    /// <summary>What one int8 step is on each path, for the table: the kernels' own words for it.</summary>
    public static string Int8Instruction(CpuIsa isa) => Q8MatMul.Int8Instruction(isa);

    /// <summary>What one f32 step is on each path, for the table.</summary>
    public static string FmaInstruction(CpuIsa isa) => isa switch
    {
        CpuIsa.Scalar => "scalar fma",
        CpuIsa.Avx2 or CpuIsa.AvxVnni => "256-bit vfmadd (Vector256)",
        CpuIsa.Avx512 => "512-bit vfmadd (Vector512)",
        CpuIsa.Neon or CpuIsa.NeonDp => "128-bit fmla (AdvSimd)",
        _ => throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown ISA"),
    };

    private static int FloatLanes(CpuIsa isa) => isa switch
    {
        CpuIsa.Scalar => 1,
        CpuIsa.Avx2 or CpuIsa.AvxVnni => 8,
        CpuIsa.Avx512 => 16,
        _ => 4,
    };

    private static int Int8Products(CpuIsa isa) => isa switch
    {
        CpuIsa.Scalar => 1,
        CpuIsa.Avx2 or CpuIsa.AvxVnni => 32,
        CpuIsa.Avx512 => 64,
        _ => 16,
    };

    /// <summary>Runs <paramref name="iterations"/> trips of the f32 loop of <paramref name="isa"/>.</summary>
    public static float Fma(CpuIsa isa, long iterations, float seed) => isa switch
    {
        CpuIsa.Scalar => FmaScalar(iterations, seed),
        CpuIsa.Avx2 or CpuIsa.AvxVnni => Fma256(iterations, seed),
        CpuIsa.Avx512 => Fma512(iterations, seed),
        _ => FmaNeon(iterations, seed),
    };

    /// <summary>
    /// Runs <paramref name="iterations"/> trips of the int8 loop of the step <paramref name="isa"/>'s int8 matmuls
    /// compute with, as the kernels say (<see cref="Q8MatMul.Int8Step"/>): the AVX-512 path's int8 weights are
    /// repacked for the 256-bit interleaved kernel, which runs vpdpbusd where the CPU has AVX-VNNI and the AVX2 path's
    /// 256-bit vpmaddubsw step elsewhere.
    /// </summary>
    public static int Int8(CpuIsa isa, long iterations, byte seed) => Q8MatMul.Int8Step(isa) switch
    {
        CpuIsa.Scalar => Int8Scalar(iterations, seed),
        CpuIsa.Avx2 => Int8Avx2(iterations, seed),
        CpuIsa.Avx512 => Int8Avx512(iterations, seed),
        CpuIsa.AvxVnni => Int8AvxVnni(iterations, seed),
        CpuIsa.Neon => Int8Neon(iterations, seed),
        _ => Int8NeonDp(iterations, seed),
    };

    // Multipliers close to 1 keep the f32 accumulators finite over any trip count.
    private const float A = 0.999999f, B = 1e-7f;

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float FmaScalar(long n, float s)
    {
        float a0 = s, a1 = s + 1, a2 = s + 2, a3 = s + 3, a4 = s + 4, a5 = s + 5, a6 = s + 6, a7 = s + 7, a8 = s + 8, a9 = s + 9;
        for (long i = 0; i < n; i++)
        {
            a0 = MathF.FusedMultiplyAdd(a0, A, B); a1 = MathF.FusedMultiplyAdd(a1, A, B); a2 = MathF.FusedMultiplyAdd(a2, A, B);
            a3 = MathF.FusedMultiplyAdd(a3, A, B); a4 = MathF.FusedMultiplyAdd(a4, A, B); a5 = MathF.FusedMultiplyAdd(a5, A, B);
            a6 = MathF.FusedMultiplyAdd(a6, A, B); a7 = MathF.FusedMultiplyAdd(a7, A, B); a8 = MathF.FusedMultiplyAdd(a8, A, B);
            a9 = MathF.FusedMultiplyAdd(a9, A, B);
        }
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Fma256(long n, float s)
    {
        var m = Vector256.Create(A);
        var c = Vector256.Create(B);
        Vector256<float> a0 = Vector256.Create(s), a1 = a0 + c, a2 = a1 + c, a3 = a2 + c, a4 = a3 + c, a5 = a4 + c, a6 = a5 + c, a7 = a6 + c, a8 = a7 + c, a9 = a8 + c;
        for (long i = 0; i < n; i++)
        {
            a0 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a0, m, c); a1 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a1, m, c); a2 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a2, m, c); a3 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a3, m, c);
            a4 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a4, m, c); a5 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a5, m, c); a6 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a6, m, c); a7 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a7, m, c);
            a8 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a8, m, c); a9 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a9, m, c);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Fma512(long n, float s)
    {
        var m = Vector512.Create(A);
        var c = Vector512.Create(B);
        Vector512<float> a0 = Vector512.Create(s), a1 = a0 + c, a2 = a1 + c, a3 = a2 + c, a4 = a3 + c, a5 = a4 + c, a6 = a5 + c, a7 = a6 + c, a8 = a7 + c, a9 = a8 + c;
        for (long i = 0; i < n; i++)
        {
            a0 = Avx512F.FusedMultiplyAdd(a0, m, c); a1 = Avx512F.FusedMultiplyAdd(a1, m, c); a2 = Avx512F.FusedMultiplyAdd(a2, m, c);
            a3 = Avx512F.FusedMultiplyAdd(a3, m, c); a4 = Avx512F.FusedMultiplyAdd(a4, m, c); a5 = Avx512F.FusedMultiplyAdd(a5, m, c);
            a6 = Avx512F.FusedMultiplyAdd(a6, m, c); a7 = Avx512F.FusedMultiplyAdd(a7, m, c); a8 = Avx512F.FusedMultiplyAdd(a8, m, c);
            a9 = Avx512F.FusedMultiplyAdd(a9, m, c);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float FmaNeon(long n, float s)
    {
        var m = Vector128.Create(A);
        var c = Vector128.Create(B);
        Vector128<float> a0 = Vector128.Create(s), a1 = a0 + c, a2 = a1 + c, a3 = a2 + c, a4 = a3 + c, a5 = a4 + c, a6 = a5 + c, a7 = a6 + c, a8 = a7 + c, a9 = a8 + c;
        for (long i = 0; i < n; i++)
        {
            // fmla: accumulator + left × right.
            a0 = AdvSimd.FusedMultiplyAdd(c, a0, m); a1 = AdvSimd.FusedMultiplyAdd(c, a1, m); a2 = AdvSimd.FusedMultiplyAdd(c, a2, m);
            a3 = AdvSimd.FusedMultiplyAdd(c, a3, m); a4 = AdvSimd.FusedMultiplyAdd(c, a4, m); a5 = AdvSimd.FusedMultiplyAdd(c, a5, m);
            a6 = AdvSimd.FusedMultiplyAdd(c, a6, m); a7 = AdvSimd.FusedMultiplyAdd(c, a7, m); a8 = AdvSimd.FusedMultiplyAdd(c, a8, m);
            a9 = AdvSimd.FusedMultiplyAdd(c, a9, m);
        }
        return Vector128.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int Int8Scalar(long n, byte s)
    {
        // The scalar kernels' step, acc += (int)a * b, on five chains that each step their own input.
        int y = s | 1, x0 = 0, x1 = 1, x2 = 2, x3 = 3, x4 = 4;
        int a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0;
        for (long i = 0; i < n; i++)
        {
            a0 += x0 * y; a1 += x1 * y; a2 += x2 * y; a3 += x3 * y; a4 += x4 * y;
            x0++; x1++; x2++; x3++; x4++;
        }
        return a0 + a1 + a2 + a3 + a4;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int Int8Avx2(long n, byte s)
    {
        var v = Vector256.Create((sbyte)3);
        var ones = Vector256.Create((short)1);
        var step = Vector256.Create((byte)1);
        Vector256<byte> x0 = Vector256.Create(s), x1 = x0 + step, x2 = x1 + step, x3 = x2 + step, x4 = x3 + step, x5 = x4 + step;
        Vector256<int> a0 = Vector256<int>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        for (long i = 0; i < n; i++)
        {
            a0 = Avx2.Add(a0, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x0, v), ones)); x0 = Avx2.Add(x0, step);
            a1 = Avx2.Add(a1, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x1, v), ones)); x1 = Avx2.Add(x1, step);
            a2 = Avx2.Add(a2, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x2, v), ones)); x2 = Avx2.Add(x2, step);
            a3 = Avx2.Add(a3, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x3, v), ones)); x3 = Avx2.Add(x3, step);
            a4 = Avx2.Add(a4, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x4, v), ones)); x4 = Avx2.Add(x4, step);
            a5 = Avx2.Add(a5, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x5, v), ones)); x5 = Avx2.Add(x5, step);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int Int8Avx512(long n, byte s)
    {
        var v = Vector512.Create((sbyte)3);
        var ones = Vector512.Create((short)1);
        var step = Vector512.Create((byte)1);
        Vector512<byte> x0 = Vector512.Create(s), x1 = x0 + step, x2 = x1 + step, x3 = x2 + step, x4 = x3 + step, x5 = x4 + step, x6 = x5 + step, x7 = x6 + step, x8 = x7 + step, x9 = x8 + step;
        Vector512<int> a0 = Vector512<int>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
        for (long i = 0; i < n; i++)
        {
            a0 = Avx512F.Add(a0, Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x0, v), ones)); x0 = Avx512BW.Add(x0, step);
            a1 = Avx512F.Add(a1, Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x1, v), ones)); x1 = Avx512BW.Add(x1, step);
            a2 = Avx512F.Add(a2, Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x2, v), ones)); x2 = Avx512BW.Add(x2, step);
            a3 = Avx512F.Add(a3, Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x3, v), ones)); x3 = Avx512BW.Add(x3, step);
            a4 = Avx512F.Add(a4, Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x4, v), ones)); x4 = Avx512BW.Add(x4, step);
            a5 = Avx512F.Add(a5, Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x5, v), ones)); x5 = Avx512BW.Add(x5, step);
            a6 = Avx512F.Add(a6, Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x6, v), ones)); x6 = Avx512BW.Add(x6, step);
            a7 = Avx512F.Add(a7, Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x7, v), ones)); x7 = Avx512BW.Add(x7, step);
            a8 = Avx512F.Add(a8, Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x8, v), ones)); x8 = Avx512BW.Add(x8, step);
            a9 = Avx512F.Add(a9, Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x9, v), ones)); x9 = Avx512BW.Add(x9, step);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int Int8AvxVnni(long n, byte s)
    {
        var u = Vector256.Create(s);
        var v = Vector256.Create((sbyte)3);
        Vector256<int> a0 = Vector256<int>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
        for (long i = 0; i < n; i++)
        {
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, u, v); a1 = AvxVnni.MultiplyWideningAndAdd(a1, u, v); a2 = AvxVnni.MultiplyWideningAndAdd(a2, u, v);
            a3 = AvxVnni.MultiplyWideningAndAdd(a3, u, v); a4 = AvxVnni.MultiplyWideningAndAdd(a4, u, v); a5 = AvxVnni.MultiplyWideningAndAdd(a5, u, v);
            a6 = AvxVnni.MultiplyWideningAndAdd(a6, u, v); a7 = AvxVnni.MultiplyWideningAndAdd(a7, u, v); a8 = AvxVnni.MultiplyWideningAndAdd(a8, u, v);
            a9 = AvxVnni.MultiplyWideningAndAdd(a9, u, v);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int Int8Neon(long n, byte s)
    {
        var v = Vector128.Create((sbyte)3);
        var step = Vector128.Create((sbyte)1);
        Vector128<sbyte> x0 = Vector128.Create((sbyte)s), x1 = x0 + step, x2 = x1 + step, x3 = x2 + step, x4 = x3 + step, x5 = x4 + step, x6 = x5 + step, x7 = x6 + step, x8 = x7 + step, x9 = x8 + step;
        Vector128<int> a0 = Vector128<int>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
        for (long i = 0; i < n; i++)
        {
            a0 = Step(a0, x0, v); x0 = AdvSimd.Add(x0, step); a1 = Step(a1, x1, v); x1 = AdvSimd.Add(x1, step);
            a2 = Step(a2, x2, v); x2 = AdvSimd.Add(x2, step); a3 = Step(a3, x3, v); x3 = AdvSimd.Add(x3, step);
            a4 = Step(a4, x4, v); x4 = AdvSimd.Add(x4, step); a5 = Step(a5, x5, v); x5 = AdvSimd.Add(x5, step);
            a6 = Step(a6, x6, v); x6 = AdvSimd.Add(x6, step); a7 = Step(a7, x7, v); x7 = AdvSimd.Add(x7, step);
            a8 = Step(a8, x8, v); x8 = AdvSimd.Add(x8, step); a9 = Step(a9, x9, v); x9 = AdvSimd.Add(x9, step);
        }
        return Vector128.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9);

        // 16 products: smull (low 8) and smull2 (high 8), each pairwise-accumulated into int32 by sadalp.
        static Vector128<int> Step(Vector128<int> acc, Vector128<sbyte> x, Vector128<sbyte> y) =>
            AdvSimd.AddPairwiseWideningAndAdd(AdvSimd.AddPairwiseWideningAndAdd(acc, AdvSimd.MultiplyWideningLower(x.GetLower(), y.GetLower())),
                AdvSimd.MultiplyWideningUpper(x, y));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int Int8NeonDp(long n, byte s)
    {
        var u = Vector128.Create((sbyte)s);
        var v = Vector128.Create((sbyte)3);
        Vector128<int> a0 = Vector128<int>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
        for (long i = 0; i < n; i++)
        {
            a0 = Dp.DotProduct(a0, u, v); a1 = Dp.DotProduct(a1, u, v); a2 = Dp.DotProduct(a2, u, v); a3 = Dp.DotProduct(a3, u, v);
            a4 = Dp.DotProduct(a4, u, v); a5 = Dp.DotProduct(a5, u, v); a6 = Dp.DotProduct(a6, u, v); a7 = Dp.DotProduct(a7, u, v);
            a8 = Dp.DotProduct(a8, u, v); a9 = Dp.DotProduct(a9, u, v);
        }
        return Vector128.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9);
    }
}
