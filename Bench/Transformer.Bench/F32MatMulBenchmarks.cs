using BenchmarkDotNet.Attributes;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Cpu.Ops;

namespace Transformer.Bench;

/// <summary>The inputs of one f32 matmul case: weights, tokens and the output.</summary>
public sealed class F32MatMulCase : IMatMulCase<F32MatMulCase>
{
    private readonly float[] _w, _x, _y;
    private readonly int _tokens, _n, _k;

    private F32MatMulCase(MatMulShape shape, int tokens)
    {
        (_tokens, _n, _k) = (tokens, shape.Out, shape.In);
        _w = MatMulInputs.Weights(shape);
        _x = MatMulInputs.Activations(shape, tokens);
        _y = new float[tokens * shape.Out];
    }

    /// <summary>Random weights of <paramref name="shape"/> and <paramref name="tokens"/> random tokens.</summary>
    public static F32MatMulCase Create(MatMulShape shape, int tokens) => new(shape, tokens);

    /// <summary>Y = X·Wᵀ with the register-tiled kernel on <paramref name="isa"/>, single thread.</summary>
    public void Tiled(CpuIsa isa) => MatMulF32Tiled.ComputeRows(isa, _x, _tokens, _w, _k, _n, _y, 0, _n);

    /// <summary>Y = X·Wᵀ with one TensorPrimitives.Dot per output, the loop the tiled kernel replaced.</summary>
    public void DotPerOutput() => MatMulF32.ComputeRows(_x, _tokens, _w, _k, _n, _y, 0, _n);
}

/// <summary>
/// f32 GEMV (one token) per path and shape, single thread, against the TensorPrimitives.Dot loop it
/// replaced (that baseline ignores the path parameter; it is repeated per path to give each a ratio).
/// </summary>
public class F32GemvBenchmarks : DecodeSuite<F32MatMulCase>
{
    /// <summary>y = x·Wᵀ with the tiled kernel.</summary>
    [Benchmark]
    public void Tiled() => Case.Tiled(Isa);

    /// <summary>y = x·Wᵀ with one TensorPrimitives.Dot per output.</summary>
    [Benchmark(Baseline = true)]
    public void DotPerOutput() => Case.DotPerOutput();
}

/// <summary>f32 GEMM (128 tokens) per SIMD path and shape, single thread, against the Dot-per-output loop.</summary>
public class F32GemmBenchmarks : PrefillSuite<F32MatMulCase>
{
    /// <summary>Y = X·Wᵀ with the tiled kernel.</summary>
    [Benchmark]
    public void Tiled() => Case.Tiled(Isa);

    /// <summary>Y = X·Wᵀ with one TensorPrimitives.Dot per output.</summary>
    [Benchmark(Baseline = true)]
    public void DotPerOutput() => Case.DotPerOutput();
}
