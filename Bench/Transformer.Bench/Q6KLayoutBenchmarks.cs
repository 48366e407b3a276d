using BenchmarkDotNet.Attributes;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;

namespace Transformer.Bench;

/// <summary>
/// The Q6_K matmul at 1, 8, 32 and 128 tokens on TinyLlama-1.1B's projection shapes (SmolLM2's hidden 576 is no
/// whole number of Q6_K super-blocks; Q4_K_M files hold attn_v, some ffn_down and the classifier as Q6_K), row-major
/// against interleaved weights, single thread, on the best x86 path (the interleaved kernel runs vpmaddubsw with the
/// sub-block scales folded into vpmaddwd). GMAC/s = Tokens·out·in / time.
/// </summary>
public class Q6KLayoutBenchmarks
{
    private Q6KWeight _weight = null!;
    private Q6KInterleavedWeight _interleaved = null!;
    private Q8Activations _x = null!;
    private float[] _y = null!;

    /// <summary>TinyLlama's projections, the classifier included (a GEMV in the model, measured here at every token count).</summary>
    public static IEnumerable<MatMulShape> Shapes => MatMulShapes.Decode.Where(shape => shape.Model == "TinyLlama");

    /// <summary>The best path, if it interleaves Q6_K.</summary>
    public static IEnumerable<CpuIsa> Paths => BenchPaths.Simd.Where(Q6KMatMul.Interleaves).Take(1);

    /// <summary>Weight shape.</summary>
    [ParamsSource(nameof(Shapes))]
    public MatMulShape Shape { get; set; } = null!;

    /// <summary>Kernel path.</summary>
    [ParamsSource(nameof(Paths))]
    public CpuIsa Isa { get; set; }

    /// <summary>Tokens (rows of x) per call.</summary>
    [Params(1, 8, 32, MatMulShapes.PrefillTokens)]
    public int Tokens { get; set; }

    /// <summary>Weight layout.</summary>
    [Params(WeightLayout.RowMajor, WeightLayout.Interleaved)]
    public WeightLayout Layout { get; set; }

    /// <summary>Quantizes random weights and tokens (outside the measurement).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _weight = Q6KWeight.Quantize(MatMulInputs.Weights(Shape), Shape.Out, Shape.In);
        _interleaved = new Q6KInterleavedWeight(_weight);
        _x = new Q8Activations(Shape.In, Tokens);
        _x.Quantize(MatMulInputs.Activations(Shape, Tokens), Tokens);
        _x.SubBlockSums();
        _y = new float[Tokens * Shape.Out];
    }

    /// <summary>Y = X·Wᵀ.</summary>
    [Benchmark]
    public void MatMul()
    {
        if (Layout == WeightLayout.Interleaved) Q6KMatMul.ComputeRows(Isa, _x, _interleaved, _y, 0, Shape.Out);
        else Q6KMatMul.Compute(Isa, _x, _weight, _y);
    }
}
