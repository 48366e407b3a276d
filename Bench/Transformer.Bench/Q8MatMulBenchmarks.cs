using BenchmarkDotNet.Attributes;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;

namespace Transformer.Bench;

/// <summary>The inputs of one int8 matmul case: quantized weights and tokens, and the output.</summary>
public sealed class Q8MatMulCase : IMatMulCase<Q8MatMulCase>
{
    private readonly Q8Weight _weight;
    private readonly Q8Activations _x;
    private readonly float[] _y;

    private Q8MatMulCase(MatMulShape shape, int tokens)
    {
        _weight = Q8Weight.Quantize(MatMulInputs.Weights(shape), shape.Out, shape.In);
        _x = new Q8Activations(shape.In, tokens);
        _x.Quantize(MatMulInputs.Activations(shape, tokens), tokens);
        _y = new float[tokens * shape.Out];
    }

    /// <summary>Quantizes random weights of <paramref name="shape"/> and <paramref name="tokens"/> random tokens.</summary>
    public static Q8MatMulCase Create(MatMulShape shape, int tokens) => new(shape, tokens);

    /// <summary>Y = X·Wᵀ on <paramref name="isa"/>, single thread.</summary>
    public void Run(CpuIsa isa) => Q8MatMul.Compute(isa, _x, _weight, _y);
}

/// <summary>int8 GEMV (one token, decode) per path and shape, single thread. Ops = 2·out·in per call.</summary>
public class Q8GemvBenchmarks : DecodeSuite<Q8MatMulCase>
{
    /// <summary>y = x·Wᵀ for one token.</summary>
    [Benchmark]
    public void Gemv() => Case.Run(Isa);
}

/// <summary>int8 GEMM (128 tokens, prefill) per SIMD path and shape, single thread.</summary>
public class Q8GemmBenchmarks : PrefillSuite<Q8MatMulCase>
{
    /// <summary>Y = X·Wᵀ for 128 tokens.</summary>
    [Benchmark]
    public void Gemm() => Case.Run(Isa);
}

/// <summary>Per-token activation quantization, the overhead every int8 matmul pays once per input.</summary>
public class Q8QuantizeActivationsBenchmarks
{
    private float[] _x = null!;
    private Q8Activations _q = null!;

    /// <summary>Tokens quantized per call.</summary>
    [Params(1, MatMulShapes.PrefillTokens)]
    public int Tokens { get; set; }

    /// <summary>Features per token: the hidden and FFN sizes, the inputs of the projections.</summary>
    [ParamsSource(typeof(MatMulShapes), nameof(MatMulShapes.InFeatures))]
    public int Features { get; set; }

    /// <summary>Random activations.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _x = MatMulInputs.RandomValues(Tokens * Features, 3);
        _q = new Q8Activations(Features, Tokens);
    }

    /// <summary>Quantize [tokens, features].</summary>
    [Benchmark]
    public void Quantize() => _q.Quantize(_x, Tokens);
}
