using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu.Ops;
using static Transformer.Kernels.Tests.OpsTestData;

namespace Transformer.Kernels.Tests;

/// <summary>
/// The float ops (vectorised paths and scalar references) against naive double-precision code,
/// over FsCheck-generated shapes. Tolerances are a few float32 ulps of the summed magnitudes.
/// </summary>
public sealed class OpsFloatTests
{
    [Property(MaxTest = 200)]
    public Property RmsNorm_matches_double_precision(PositiveInt lengthArg, int seed)
    {
        int n = 1 + lengthArg.Get % 700;
        float[] x = TestArrays.Uniform(seed, n, 3f), w = TestArrays.Uniform(seed + 1, n, 2f);
        double meanSquare = x.Sum(v => (double)v * v) / n;
        double[] expected = x.Select((v, i) => v / Math.Sqrt(meanSquare + 1e-5) * w[i]).ToArray();

        var fast = new float[n];
        var reference = new float[n];
        RmsNorm.Compute(x, w, 1e-5f, fast);
        RmsNorm.Reference(x, w, 1e-5f, reference);

        return (Close(fast, expected, 1e-5, 1e-5) && Close(reference, expected, 1e-5, 1e-5)).ToProperty();
    }

    [Property(MaxTest = 200)]
    public Property SwiGlu_matches_double_precision_even_when_the_output_aliases_an_input(PositiveInt lengthArg, int seed)
    {
        int n = 1 + lengthArg.Get % 1200;
        float[] gate = TestArrays.Uniform(seed, n, 8f), up = TestArrays.Uniform(seed + 1, n, 4f);
        double[] expected = gate.Select((g, i) => g / (1 + Math.Exp(-(double)g)) * up[i]).ToArray();

        var separate = new float[n];
        SwiGlu.Compute(gate, up, separate);
        float[] inPlace = gate.ToArray();
        SwiGlu.Compute(inPlace, up, inPlace);
        var reference = new float[n];
        SwiGlu.Reference(gate, up, reference);

        return (Close(separate, expected, 1e-5, 1e-5) && Close(inPlace, expected, 1e-5, 1e-5) && Close(reference, expected, 1e-5, 1e-5)).ToProperty();
    }

    public static TheoryData<RopeStyle> Styles() => new(RopeStyle.RotateHalf, RopeStyle.InterleavedPairs);

    [Theory]
    [MemberData(nameof(Styles))]
    public void Rope_rotates_the_pairs_of_its_convention(RopeStyle style)
    {
        Prop.ForAll(Arb.From(Gen.Choose(1, 6)), Arb.From(Gen.Choose(1, 16)), Arb.From(Gen.Choose(0, 500)), (heads, halfDim, position) =>
        {
            int d = 2 * halfDim;
            float[] row = TestArrays.Uniform(position * 31 + heads, heads * d, 2f);
            float[] inverse = Enumerable.Range(0, halfDim).Select(i => 1f / MathF.Pow(10000f, 2 * i / (float)d)).ToArray();
            var (cos, sin) = RopeTable.ComputeHost(inverse, position + 1);
            float[] rotated = row.ToArray();
            Rope.Apply(rotated, d, cos.AsSpan(position * halfDim, halfDim), sin.AsSpan(position * halfDim, halfDim), style);

            var expected = new double[row.Length];
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < halfDim; i++)
                {
                    int a = h * d + (style == RopeStyle.RotateHalf ? i : 2 * i);
                    int b = h * d + (style == RopeStyle.RotateHalf ? i + halfDim : 2 * i + 1);
                    double angle = (double)position * inverse[i];
                    expected[a] = row[a] * Math.Cos(angle) - row[b] * Math.Sin(angle);
                    expected[b] = row[a] * Math.Sin(angle) + row[b] * Math.Cos(angle);
                }
            // The angle is rounded to float32 (as PyTorch and llama2.c do): ~position·2⁻²⁴ rad of error.
            return Close(rotated, expected, 1e-6 + position * 2e-7, 1e-5);
        }).QuickCheckThrowOnFailure();
    }

    [Property(MaxTest = 150)]
    public Property Attention_matches_a_double_precision_softmax(PositiveInt lengthArg, PositiveInt dimArg, int seed) =>
        AttentionMatchesDouble(1 + lengthArg.Get % 80, 1 + dimArg.Get % 64, seed);

    /// <summary>Head sizes that are whole vectors (8..128) take the vector loops; longer contexts too.</summary>
    [Property]
    public Property Attention_with_vector_head_sizes_matches_a_double_precision_softmax(PositiveInt lengthArg, PositiveInt dimArg, int seed) =>
        AttentionMatchesDouble(1 + lengthArg.Get % 300, 8 * (1 + dimArg.Get % 16), seed);

    private static Property AttentionMatchesDouble(int length, int d, int seed)
    {
        float[] q = TestArrays.Uniform(seed, d, 2f), keys = TestArrays.Uniform(seed + 1, length * d, 2f), values = TestArrays.Uniform(seed + 2, length * d, 3f);
        var scores = new double[length];
        for (int p = 0; p < length; p++)
        {
            double s = 0;
            for (int i = 0; i < d; i++) s += (double)q[i] * keys[p * d + i];
            scores[p] = s / Math.Sqrt(d);
        }
        double max = scores.Max();
        double[] weights = scores.Select(s => Math.Exp(s - max)).ToArray();
        double total = weights.Sum();
        var expected = new double[d];
        for (int p = 0; p < length; p++)
            for (int i = 0; i < d; i++) expected[i] += weights[p] / total * values[p * d + i];

        var fast = new float[d];
        Attention.Compute(q, keys, values, length, new float[length], fast);
        var reference = new float[d];
        Attention.Reference(q, keys, values, length, reference);

        return (Close(fast, expected, 1e-5, 1e-4) && Close(reference, expected, 1e-5, 1e-4)).ToProperty();
    }

    [Property(MaxTest = 150)]
    public Property MatMulF32_matches_double_precision(PositiveInt tokensArg, PositiveInt inArg, PositiveInt outArg, int seed)
    {
        int tokens = 1 + tokensArg.Get % 9, k = 1 + inArg.Get % 300, n = 1 + outArg.Get % 40;
        float[] x = TestArrays.Uniform(seed, tokens * k), w = TestArrays.Uniform(seed + 1, n * k);
        var expected = new double[tokens * n];
        var bound = new double[tokens * n];
        for (int t = 0; t < tokens; t++)
            for (int o = 0; o < n; o++)
                for (int i = 0; i < k; i++)
                {
                    expected[t * n + o] += (double)x[t * k + i] * w[o * k + i];
                    bound[t * n + o] += Math.Abs((double)x[t * k + i] * w[o * k + i]);
                }

        var fast = new float[tokens * n];
        MatMulF32.ComputeRows(x, tokens, w, k, n, fast, 0, n);
        var reference = new float[tokens * n];
        MatMulF32.Reference(x, tokens, w, k, n, reference);

        // Float32 summation of k products: error ≤ k·2⁻²⁴·Σ|x·w| (a standard forward bound).
        bool Within(float[] actual) => actual.Select((v, i) => Math.Abs(v - expected[i]) <= k * 6e-8 * bound[i] + 1e-6).All(ok => ok);
        return (Within(fast) && Within(reference)).ToProperty();
    }
}
