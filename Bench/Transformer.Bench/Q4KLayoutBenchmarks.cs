using BenchmarkDotNet.Attributes;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;

namespace Transformer.Bench;

/// <summary>
/// The Q4_K matmul at 1, 8, 32 and 128 tokens (decode, 8-stream decode, short and long prefill) on TinyLlama-1.1B's
/// projection shapes (SmolLM2's hidden 576 is no whole number of 256-value super-blocks), row-major
/// (<see cref="Q4KWeight"/>, the 4-row tiles with horizontal sums) against the row-interleaved repack
/// (<see cref="Q4KInterleavedWeight"/>, 8-row × 4-token tiles), single thread, on the path a backend picks by default
/// (x86 only; no cases elsewhere). GMAC/s = Tokens·out·in / time.
/// </summary>
public class Q4KLayoutBenchmarks
{
    private Q4KWeight _weight = null!;
    private Q4KInterleavedWeight _interleaved = null!;
    private Q8Activations _x = null!;
    private float[] _y = null!;

    /// <summary>TinyLlama's projections that a prompt runs as a GEMM.</summary>
    public static IEnumerable<MatMulShape> Shapes => MatMulShapes.Prefill.Where(shape => shape.Model == "TinyLlama");

    /// <summary>The path a backend picks by default here (<see cref="CpuIsaSelection.Best"/>), if it interleaves Q4_K.</summary>
    public static IEnumerable<CpuIsa> Paths => Q4KMatMul.Interleaves(CpuIsaSelection.Best) ? [CpuIsaSelection.Best] : [];

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
        _weight = Q4KWeight.Quantize(MatMulInputs.Weights(Shape), Shape.Out, Shape.In);
        _interleaved = new Q4KInterleavedWeight(_weight);
        _x = new Q8Activations(Shape.In, Tokens);
        _x.Quantize(MatMulInputs.Activations(Shape, Tokens), Tokens);
        _x.ScaledSums();
        _y = new float[Tokens * Shape.Out];
    }

    /// <summary>Y = X·Wᵀ.</summary>
    [Benchmark]
    public void MatMul()
    {
        if (Layout == WeightLayout.Interleaved) Q4KMatMul.ComputeRows(Isa, _x, _interleaved, _y, 0, Shape.Out);
        else Q4KMatMul.Compute(Isa, _x, _weight, _y);
    }
}
