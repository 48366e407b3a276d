using BenchmarkDotNet.Attributes;
using Transformer.Kernels.Cpu.Isa;

namespace Transformer.Bench;

/// <summary>The inputs of one matmul case of some weight format, built once per benchmark case.</summary>
/// <typeparam name="TSelf">The implementing type.</typeparam>
public interface IMatMulCase<TSelf> where TSelf : IMatMulCase<TSelf>
{
    /// <summary>Random weights of <paramref name="shape"/> and <paramref name="tokens"/> random tokens, in this format.</summary>
    static abstract TSelf Create(MatMulShape shape, int tokens);
}

/// <summary>
/// Base of the matmul suites: builds a weight format's inputs for the case's shape before it is
/// measured. <see cref="DecodeSuite{TCase}"/> and <see cref="PrefillSuite{TCase}"/> say which shapes,
/// paths and token count; a weight format's suites derive from those and add only their benchmark methods.
/// </summary>
/// <typeparam name="TCase">The weight format's inputs.</typeparam>
public abstract class MatMulSuite<TCase> where TCase : IMatMulCase<TCase>
{
    /// <summary>Weight shape (a benchmark parameter).</summary>
    public abstract MatMulShape Shape { get; set; }

    /// <summary>Kernel path (a benchmark parameter).</summary>
    public abstract CpuIsa Isa { get; set; }

    /// <summary>Tokens per call.</summary>
    protected abstract int Tokens { get; }

    /// <summary>This case's inputs.</summary>
    protected TCase Case { get; private set; } = default!;

    /// <summary>Builds the inputs (outside the measurement).</summary>
    [GlobalSetup]
    public void Setup() => Case = TCase.Create(Shape, Tokens);
}

/// <summary>
/// Decode: one token through a weight, one case per projection shape × CPU path
/// (<see cref="MatMulShapes.Decode"/> × <see cref="BenchPaths.All"/>).
/// </summary>
/// <typeparam name="TCase">The weight format's inputs.</typeparam>
public abstract class DecodeSuite<TCase> : MatMulSuite<TCase> where TCase : IMatMulCase<TCase>
{
    /// <inheritdoc/>
    [ParamsSource(typeof(MatMulShapes), nameof(MatMulShapes.Decode))]
    public override MatMulShape Shape { get; set; } = null!;

    /// <inheritdoc/>
    [ParamsSource(typeof(BenchPaths), nameof(BenchPaths.All))]
    public override CpuIsa Isa { get; set; }

    /// <inheritdoc/>
    protected override int Tokens => 1;
}

/// <summary>
/// Prefill: <see cref="MatMulShapes.PrefillTokens"/> tokens through a weight, one case per projection
/// shape × SIMD path (<see cref="MatMulShapes.Prefill"/> × <see cref="BenchPaths.Simd"/>).
/// </summary>
/// <typeparam name="TCase">The weight format's inputs.</typeparam>
public abstract class PrefillSuite<TCase> : MatMulSuite<TCase> where TCase : IMatMulCase<TCase>
{
    /// <inheritdoc/>
    [ParamsSource(typeof(MatMulShapes), nameof(MatMulShapes.Prefill))]
    public override MatMulShape Shape { get; set; } = null!;

    /// <inheritdoc/>
    [ParamsSource(typeof(BenchPaths), nameof(BenchPaths.Simd))]
    public override CpuIsa Isa { get; set; }

    /// <inheritdoc/>
    protected override int Tokens => MatMulShapes.PrefillTokens;
}
