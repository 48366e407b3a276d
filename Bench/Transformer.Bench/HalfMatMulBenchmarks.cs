using BenchmarkDotNet.Attributes;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Cpu.Ops;
using Transformer.Kernels.Tensors;

namespace Transformer.Bench;

/// <summary>
/// The inputs of one 16-bit-weight matmul case: the suites' random weights rounded to the storage
/// type (kept as bit patterns, as the CPU backend keeps them over the mapped file), tokens and the output.
/// </summary>
public abstract class HalfMatMulCase
{
    private readonly DType _type;
    private readonly ushort[] _w;
    private readonly float[] _x, _y;
    private readonly int _tokens, _n, _k;

    /// <summary>Rounds the suites' random weights of <paramref name="shape"/> to <paramref name="type"/>.</summary>
    protected HalfMatMulCase(DType type, MatMulShape shape, int tokens)
    {
        (_type, _tokens, _n, _k) = (type, tokens, shape.Out, shape.In);
        _w = Array.ConvertAll(MatMulInputs.Weights(shape), value =>
            type == DType.BF16 ? BFloat16Conversion.FromSingle(value) : BitConverter.HalfToUInt16Bits((Half)value));
        _x = MatMulInputs.Activations(shape, tokens);
        _y = new float[tokens * shape.Out];
    }

    /// <summary>Y = X·Wᵀ with the register-tiled kernel on <paramref name="isa"/>, widening in registers, single thread.</summary>
    public void Tiled(CpuIsa isa) => MatMulHalf.ComputeRows(isa, _type, _x, _tokens, _w, _k, _n, _y, 0, _n);
}

/// <summary>BF16 weights.</summary>
public sealed class Bf16MatMulCase(MatMulShape shape, int tokens) : HalfMatMulCase(DType.BF16, shape, tokens), IMatMulCase<Bf16MatMulCase>
{
    /// <inheritdoc/>
    public static Bf16MatMulCase Create(MatMulShape shape, int tokens) => new(shape, tokens);
}

/// <summary>F16 weights.</summary>
public sealed class F16MatMulCase(MatMulShape shape, int tokens) : HalfMatMulCase(DType.F16, shape, tokens), IMatMulCase<F16MatMulCase>
{
    /// <inheritdoc/>
    public static F16MatMulCase Create(MatMulShape shape, int tokens) => new(shape, tokens);
}

/// <summary>BF16/F16-weight GEMV (one token, decode) per path and shape, single thread; compare with <see cref="F32GemvBenchmarks"/>.</summary>
[GenericTypeArguments(typeof(Bf16MatMulCase))]
[GenericTypeArguments(typeof(F16MatMulCase))]
public class HalfGemvBenchmarks<TCase> : DecodeSuite<TCase> where TCase : HalfMatMulCase, IMatMulCase<TCase>
{
    /// <summary>y = x·Wᵀ for one token.</summary>
    [Benchmark]
    public void Tiled() => Case.Tiled(Isa);
}

/// <summary>BF16/F16-weight GEMM (128 tokens, prefill) per SIMD path and shape, single thread; compare with <see cref="F32GemmBenchmarks"/>.</summary>
[GenericTypeArguments(typeof(Bf16MatMulCase))]
[GenericTypeArguments(typeof(F16MatMulCase))]
public class HalfGemmBenchmarks<TCase> : PrefillSuite<TCase> where TCase : HalfMatMulCase, IMatMulCase<TCase>
{
    /// <summary>Y = X·Wᵀ for 128 tokens.</summary>
    [Benchmark]
    public void Tiled() => Case.Tiled(Isa);
}
