using Transformer.Kernels.Cpu.Isa;

namespace Transformer.Bench;

/// <summary>Weight shapes [out, in] of the SmolLM2-135M and TinyLlama-1.1B projections, and the paths to compare.</summary>
public static class MatMulShapes
{
    /// <summary>SmolLM2-135M: attention 576×576, FFN up/gate 1536×576; TinyLlama-1.1B: attention 2048×2048, FFN 5632×2048.</summary>
    public static IEnumerable<string> All => ["576x576", "1536x576", "2048x2048", "5632x2048"];

    /// <summary>The prompt length of the prefill benchmarks.</summary>
    public const int PrefillTokens = 128;

    /// <summary>Every path this machine can run.</summary>
    public static IEnumerable<CpuIsa> Isas => CpuIsaSupport.Supported;

    /// <summary>Every path but scalar (scalar GEMM over large shapes takes minutes per iteration).</summary>
    public static IEnumerable<CpuIsa> SimdIsas => CpuIsaSupport.Supported.Where(isa => isa != CpuIsa.Scalar);

    /// <summary>Parses "OUTxIN".</summary>
    public static (int Out, int In) Parse(string shape)
    {
        var parts = shape.Split('x');
        return (int.Parse(parts[0]), int.Parse(parts[1]));
    }

    /// <summary>Deterministic values in [−1, 1).</summary>
    public static float[] RandomValues(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = 2 * random.NextSingle() - 1;
        return values;
    }
}
