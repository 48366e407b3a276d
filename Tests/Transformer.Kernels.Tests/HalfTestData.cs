using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Cpu.Ops;
using Transformer.Kernels.Tensors;

namespace Transformer.Kernels.Tests;

/// <summary>A random half-weight matmul problem: weight [Rows, K] stored as F16 or BF16, Tokens activation rows.</summary>
public sealed record HalfCase(DType Type, int Rows, int K, int Tokens, int Seed)
{
    /// <summary>Weights in [−1, 1] rounded to the storage type (F16 including some subnormals), as bit patterns.</summary>
    public ushort[] WeightBits()
    {
        var random = new Random(Seed);
        var bits = new ushort[Rows * K];
        for (int i = 0; i < bits.Length; i++)
        {
            // One weight in eight is tiny, so F16 subnormals and BF16 small exponents appear.
            float value = (2 * random.NextSingle() - 1) * (random.Next(8) == 0 ? 1e-6f : 1f);
            bits[i] = HalfTestData.Narrow(Type, value);
        }
        return bits;
    }

    public float[] Activations()
    {
        var random = new Random(Seed ^ 0x5bd1e995);
        return Enumerable.Range(0, Tokens * K).Select(_ => 4 * random.NextSingle() - 2).ToArray();
    }

    public override string ToString() => $"{Type}, rows {Rows}, K {K}, tokens {Tokens}, seed {Seed}";
}

internal static class HalfTestData
{
    /// <summary>Odd K (tails shorter than any vector, down to 1), odd rows (tile tails), 1..9 tokens, both types.</summary>
    public static Gen<HalfCase> Cases { get; } =
        from type in Gen.Elements(DType.F16, DType.BF16)
        from rows in PropertyCoverage.Size(1, 13)
        from k in PropertyCoverage.Size(1, 70)
        from tokens in PropertyCoverage.Size(1, 9)
        from seed in Gen.Choose(int.MinValue, int.MaxValue)
        select new HalfCase(type, rows, k, tokens, seed);

    /// <summary>Asserts a run of <see cref="Cases"/> reached every end of the shapes it claims, and both types.</summary>
    public static void AssertCovered(IReadOnlyList<HalfCase> seen)
    {
        PropertyCoverage.AssertReaches(seen.Select(c => c.Rows), 1, 13, "rows");
        PropertyCoverage.AssertReaches(seen.Select(c => c.K), 1, 70, "K");
        PropertyCoverage.AssertReaches(seen.Select(c => c.Tokens), 1, 9, "tokens");
        Assert.Equal(2, seen.Select(c => c.Type).Distinct().Count());
    }

    public static ushort Narrow(DType type, float value) =>
        type == DType.BF16 ? BFloat16Conversion.FromSingle(value) : BitConverter.HalfToUInt16Bits((Half)value);

    public static double[] WidenedDouble(DType type, ushort[] bits) =>
        bits.Select(b => (double)MatMulHalf.Widen(type, b)).ToArray();
}
