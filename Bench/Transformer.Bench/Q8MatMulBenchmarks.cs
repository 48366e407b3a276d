using BenchmarkDotNet.Attributes;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;

namespace Transformer.Bench;

/// <summary>int8 GEMV (one token, decode) per path and shape, single thread. Ops = 2·out·in per call.</summary>
public class Q8GemvBenchmarks
{
    private Q8Weight _weight = null!;
    private Q8Activations _x = null!;
    private float[] _y = null!;

    /// <summary>[out]x[in].</summary>
    [ParamsSource(typeof(MatMulShapes), nameof(MatMulShapes.All))]
    public string Shape { get; set; } = "";

    /// <summary>Kernel path.</summary>
    [ParamsSource(typeof(MatMulShapes), nameof(MatMulShapes.Isas))]
    public CpuIsa Isa { get; set; }

    /// <summary>Quantizes random weights and one token.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var (n, k) = MatMulShapes.Parse(Shape);
        _weight = Q8Weight.Quantize(MatMulShapes.RandomValues(n * k, 1), n, k);
        _x = new Q8Activations(k);
        _x.Quantize(MatMulShapes.RandomValues(k, 2), 1);
        _y = new float[n];
    }

    /// <summary>y = x·Wᵀ for one token.</summary>
    [Benchmark]
    public void Gemv() => Q8MatMul.Compute(Isa, _x, _weight, _y);
}

/// <summary>int8 GEMM (128 tokens, prefill) per SIMD path and shape, single thread.</summary>
public class Q8GemmBenchmarks
{
    private Q8Weight _weight = null!;
    private Q8Activations _x = null!;
    private float[] _y = null!;

    /// <summary>[out]x[in].</summary>
    [ParamsSource(typeof(MatMulShapes), nameof(MatMulShapes.All))]
    public string Shape { get; set; } = "";

    /// <summary>Kernel path.</summary>
    [ParamsSource(typeof(MatMulShapes), nameof(MatMulShapes.SimdIsas))]
    public CpuIsa Isa { get; set; }

    /// <summary>Quantizes random weights and 128 tokens.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var (n, k) = MatMulShapes.Parse(Shape);
        _weight = Q8Weight.Quantize(MatMulShapes.RandomValues(n * k, 1), n, k);
        _x = new Q8Activations(k, MatMulShapes.PrefillTokens);
        _x.Quantize(MatMulShapes.RandomValues(MatMulShapes.PrefillTokens * k, 2), MatMulShapes.PrefillTokens);
        _y = new float[MatMulShapes.PrefillTokens * n];
    }

    /// <summary>Y = X·Wᵀ for 128 tokens.</summary>
    [Benchmark]
    public void Gemm() => Q8MatMul.Compute(Isa, _x, _weight, _y);
}

/// <summary>Per-token activation quantization, the overhead every int8 matmul pays once per input.</summary>
public class Q8QuantizeActivationsBenchmarks
{
    private float[] _x = null!;
    private Q8Activations _q = null!;

    /// <summary>Tokens quantized per call.</summary>
    [Params(1, MatMulShapes.PrefillTokens)]
    public int Tokens { get; set; }

    /// <summary>Features per token.</summary>
    [Params(576, 2048)]
    public int Features { get; set; }

    /// <summary>Random activations.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _x = MatMulShapes.RandomValues(Tokens * Features, 3);
        _q = new Q8Activations(Features, Tokens);
    }

    /// <summary>Quantize [tokens, features].</summary>
    [Benchmark]
    public void Quantize() => _q.Quantize(_x, Tokens);
}
