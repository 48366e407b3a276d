using BenchmarkDotNet.Attributes;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;

namespace Transformer.Bench;

/// <summary>
/// The int8 matmul at 1, 8, 32 and 128 tokens (decode, 8-stream decode, short and long prefill) on SmolLM2-135M's
/// projection shapes, row-major against interleaved weights, single thread, on the best path that can run both
/// (any x86 path: vpdpbusd where the CPU has AVX-VNNI, vpsignb + vpmaddubsw + vpmaddwd otherwise; no cases elsewhere). GMAC/s = Tokens·out·in / time.
/// </summary>
public class Q8LayoutBenchmarks
{
    private Q8Weight _weight = null!;
    private Q8InterleavedWeight _interleaved = null!;
    private Q8Activations _x = null!;
    private float[] _y = null!;

    /// <summary>SmolLM2's projections (the classifier is a GEMV even in prefill).</summary>
    public static IEnumerable<MatMulShape> Shapes => MatMulShapes.Prefill.Where(shape => shape.Model == "SmolLM2");

    /// <summary>The paths that run both layouts here: the best one (AVX-512 or AVX-VNNI), if it interleaves.</summary>
    public static IEnumerable<CpuIsa> Paths => BenchPaths.Simd.Where(Q8MatMul.Interleaves).Take(1);

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
        _weight = Q8Weight.Quantize(MatMulInputs.Weights(Shape), Shape.Out, Shape.In);
        _interleaved = new Q8InterleavedWeight(_weight);
        _x = new Q8Activations(Shape.In, Tokens);
        _x.Quantize(MatMulInputs.Activations(Shape, Tokens), Tokens);
        _x.OffsetSums();
        _y = new float[Tokens * Shape.Out];
    }

    /// <summary>Y = X·Wᵀ.</summary>
    [Benchmark]
    public void MatMul()
    {
        if (Layout == WeightLayout.Interleaved) Q8MatMul.ComputeRows(Isa, _x, _interleaved, _y, 0, Shape.Out);
        else Q8MatMul.Compute(Isa, _x, _weight, _y);
    }
}
