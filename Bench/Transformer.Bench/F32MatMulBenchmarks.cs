using BenchmarkDotNet.Attributes;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Cpu.Ops;

namespace Transformer.Bench;

/// <summary>f32 GEMV (one token) per path and shape, single thread, against the TensorPrimitives.Dot loop it replaces.</summary>
public class F32GemvBenchmarks
{
    private float[] _w = null!, _x = null!, _y = null!;
    private int _n, _k;

    /// <summary>[out]x[in].</summary>
    [ParamsSource(typeof(MatMulShapes), nameof(MatMulShapes.All))]
    public string Shape { get; set; } = "";

    /// <summary>Kernel path.</summary>
    [ParamsSource(typeof(MatMulShapes), nameof(MatMulShapes.Isas))]
    public CpuIsa Isa { get; set; }

    /// <summary>Random weights and one token.</summary>
    [GlobalSetup]
    public void Setup()
    {
        (_n, _k) = MatMulShapes.Parse(Shape);
        _w = MatMulShapes.RandomValues(_n * _k, 1);
        _x = MatMulShapes.RandomValues(_k, 2);
        _y = new float[_n];
    }

    /// <summary>y = x·Wᵀ with the tiled kernel.</summary>
    [Benchmark]
    public void Tiled() => MatMulF32Tiled.ComputeRows(Isa, _x, 1, _w, _k, _n, _y, 0, _n);

    /// <summary>y = x·Wᵀ with one TensorPrimitives.Dot per output (the previous loop; the path parameter does not apply).</summary>
    [Benchmark(Baseline = true)]
    public void DotPerOutput() => MatMulF32.ComputeRows(_x, 1, _w, _k, _n, _y, 0, _n);
}

/// <summary>f32 GEMM (128 tokens) per SIMD path and shape, single thread.</summary>
public class F32GemmBenchmarks
{
    private float[] _w = null!, _x = null!, _y = null!;
    private int _n, _k;

    /// <summary>[out]x[in].</summary>
    [ParamsSource(typeof(MatMulShapes), nameof(MatMulShapes.All))]
    public string Shape { get; set; } = "";

    /// <summary>Kernel path.</summary>
    [ParamsSource(typeof(MatMulShapes), nameof(MatMulShapes.SimdIsas))]
    public CpuIsa Isa { get; set; }

    /// <summary>Random weights and 128 tokens.</summary>
    [GlobalSetup]
    public void Setup()
    {
        (_n, _k) = MatMulShapes.Parse(Shape);
        _w = MatMulShapes.RandomValues(_n * _k, 1);
        _x = MatMulShapes.RandomValues(MatMulShapes.PrefillTokens * _k, 2);
        _y = new float[MatMulShapes.PrefillTokens * _n];
    }

    /// <summary>Y = X·Wᵀ with the tiled kernel.</summary>
    [Benchmark]
    public void Tiled() => MatMulF32Tiled.ComputeRows(Isa, _x, MatMulShapes.PrefillTokens, _w, _k, _n, _y, 0, _n);

    /// <summary>Y = X·Wᵀ with one TensorPrimitives.Dot per output (the previous loop).</summary>
    [Benchmark(Baseline = true)]
    public void DotPerOutput() => MatMulF32.ComputeRows(_x, MatMulShapes.PrefillTokens, _w, _k, _n, _y, 0, _n);
}
