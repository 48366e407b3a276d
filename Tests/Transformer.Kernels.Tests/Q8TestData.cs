using Xunit;
using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Quantized;

namespace Transformer.Kernels.Tests;

/// <summary>A random int8 matmul problem: weight [Rows, Blocks·32] and Tokens activation rows.</summary>
public sealed record Q8Case(int Rows, int Blocks, int Tokens, int Seed)
{
    public int K => Blocks * Q8Format.BlockSize;

    /// <summary>Weights in [−1, 1] with some all-zero blocks and exact ±max values, so the zero guard and ±127 are exercised.</summary>
    public float[] Weights() => Values(Rows, Seed);

    /// <summary>Activations of larger and varied magnitude per token.</summary>
    public float[] Activations() => Values(Tokens, Seed ^ 0x5bd1e995, scale: 3f);

    private float[] Values(int rows, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[rows * K];
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < Blocks; b++)
            {
                int kind = random.Next(8);
                if (kind == 0) continue; // an all-zero block
                float blockScale = scale * (kind == 1 ? 1e-3f : 1f);
                for (int i = 0; i < Q8Format.BlockSize; i++)
                    values[r * K + b * Q8Format.BlockSize + i] = blockScale * (2 * random.NextSingle() - 1);
            }
        return values;
    }

    public override string ToString() => $"rows {Rows}, K {K}, tokens {Tokens}, seed {Seed}";
}

internal static class Q8TestData
{
    /// <summary>Shapes: odd and tail row counts (1..13, so 4-row tiles have 0–3 leftover rows), one to six blocks, 1..9 tokens (4-token tiles plus tails).</summary>
    public static Gen<Q8Case> Cases { get; } =
        from rows in PropertyCoverage.Size(1, 13)
        from blocks in PropertyCoverage.Size(1, 6)
        from tokens in PropertyCoverage.Size(1, 9)
        from seed in Gen.Choose(int.MinValue, int.MaxValue)
        select new Q8Case(rows, blocks, tokens, seed);

    /// <summary>Asserts a run of <see cref="Cases"/> reached every end of the shapes it claims.</summary>
    public static void AssertCovered(IReadOnlyList<Q8Case> seen)
    {
        PropertyCoverage.AssertReaches(seen.Select(c => c.Rows), 1, 13, "rows");
        PropertyCoverage.AssertReaches(seen.Select(c => c.Blocks), 1, 6, "blocks");
        PropertyCoverage.AssertReaches(seen.Select(c => c.Tokens), 1, 9, "tokens");
    }

    /// <summary>One int8 block, biased towards ±127 and 0 (where the sign trick and saturation would break).</summary>
    public static Gen<sbyte[]> Block { get; } =
        Gen.Frequency(
            (4, Gen.Choose(-127, 127)),
            (1, Gen.Elements(-127, 127, 0, 1, -1)))
        .Select(v => (sbyte)v).ArrayOf(Q8Format.BlockSize);

    /// <summary>
    /// Accumulator lanes of both signs and exponents 2^±24 apart, so most ways of adding them
    /// round differently (cancellation and absorption) and a wrong lane order shows.
    /// </summary>
    public static Gen<float[]> AccumulatorLanes(int count) =>
        (from mantissa in Gen.Choose(-(1 << 24), 1 << 24)
         from exponent in Gen.Choose(-24, 24)
         select (float)Math.ScaleB(mantissa, exponent)).ArrayOf(count);

    public static TheoryData<CpuIsa> AllIsas()
    {
        var data = new TheoryData<CpuIsa>();
        foreach (var isa in Enum.GetValues<CpuIsa>()) data.Add(isa);
        return data;
    }

    public static void SkipUnlessSupported(CpuIsa isa) =>
        Assert.SkipUnless(CpuIsaSupport.IsSupported(isa),
            $"{CpuIsaSupport.Name(isa)} is not available on this CPU (or is disabled by a DOTNET_Enable* setting)");
}
