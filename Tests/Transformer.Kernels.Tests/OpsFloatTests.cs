using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu.Ops;
using Transformer.Kernels.Cpu.Isa;
using static Transformer.Kernels.Tests.OpsTestData;

namespace Transformer.Kernels.Tests;

/// <summary>
/// The float ops (vectorised paths and scalar references) against naive double-precision code,
/// over FsCheck-generated shapes. Tolerances are a few float32 ulps of the summed magnitudes.
/// </summary>
public sealed class OpsFloatTests
{
    private static Gen<int> Seeds => Gen.Choose(int.MinValue / 4, int.MaxValue / 4);

    [Fact]
    public void RmsNorm_matches_double_precision()
    {
        var seen = PropertyCoverage.Check(from n in PropertyCoverage.Size(1, 700) from seed in Seeds select (n, seed), 200, c => RmsNormMatches(c.n, c.seed));
        PropertyCoverage.AssertReaches(seen.Select(c => c.n), 1, 700, "length");
    }

    private static bool RmsNormMatches(int n, int seed)
    {
        float[] x = TestArrays.Uniform(seed, n, 3f), w = TestArrays.Uniform(seed + 1, n, 2f);
        double meanSquare = x.Sum(v => (double)v * v) / n;
        double[] expected = x.Select((v, i) => v / Math.Sqrt(meanSquare + 1e-5) * w[i]).ToArray();

        var fast = new float[n];
        var reference = new float[n];
        RmsNorm.Compute(x, w, 1e-5f, fast);
        RmsNorm.Reference(x, w, 1e-5f, reference);

        return Close(fast, expected, 1e-5, 1e-5) && Close(reference, expected, 1e-5, 1e-5);
    }

    [Fact]
    public void SwiGlu_matches_double_precision_even_when_the_output_aliases_an_input()
    {
        var seen = PropertyCoverage.Check(from n in PropertyCoverage.Size(1, 1200) from seed in Seeds select (n, seed), 200, c => SwiGluMatches(c.n, c.seed));
        PropertyCoverage.AssertReaches(seen.Select(c => c.n), 1, 1200, "length");
    }

    private static bool SwiGluMatches(int n, int seed)
    {
        float[] gate = TestArrays.Uniform(seed, n, 8f), up = TestArrays.Uniform(seed + 1, n, 4f);
        double[] expected = gate.Select((g, i) => g / (1 + Math.Exp(-(double)g)) * up[i]).ToArray();

        var separate = new float[n];
        SwiGlu.Compute(gate, up, separate);
        float[] inPlace = gate.ToArray();
        SwiGlu.Compute(inPlace, up, inPlace);
        var reference = new float[n];
        SwiGlu.Reference(gate, up, reference);

        return Close(separate, expected, 1e-5, 1e-5) && Close(inPlace, expected, 1e-5, 1e-5) && Close(reference, expected, 1e-5, 1e-5);
    }

    [Fact]
    public void GeGlu_matches_double_precision_even_when_the_output_aliases_an_input()
    {
        var seen = PropertyCoverage.Check(from n in PropertyCoverage.Size(1, 1200) from seed in Seeds select (n, seed), 200, c =>
        {
            float[] gate = TestArrays.Uniform(c.seed, c.n, 8f), up = TestArrays.Uniform(c.seed + 1, c.n, 4f);
            double[] expected = gate.Select((g, i) => 0.5 * g * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (g + 0.044715 * g * (double)g * g))) * up[i]).ToArray();
            var separate = new float[c.n];
            GeGlu.Compute(gate, up, separate);
            float[] inPlace = gate.ToArray();
            GeGlu.Compute(inPlace, up, inPlace);
            var reference = new float[c.n];
            GeGlu.Reference(gate, up, reference);
            return Close(separate, expected, 1e-5, 1e-5) && Close(inPlace, expected, 1e-5, 1e-5) && Close(reference, expected, 1e-5, 1e-5);
        });
        PropertyCoverage.AssertReaches(seen.Select(c => c.n), 1, 1200, "length");
    }

    [Fact]
    public void SoftCap_matches_double_precision()
    {
        var seen = PropertyCoverage.Check(from n in PropertyCoverage.Size(1, 600) from seed in Seeds select (n, seed), 100, c =>
        {
            float[] x = TestArrays.Uniform(c.seed, c.n, 100f);
            const float cap = 30f;
            double[] expected = x.Select(v => cap * Math.Tanh(v / (double)cap)).ToArray();
            float[] fast = x.ToArray(), reference = x.ToArray();
            SoftCap.Compute(fast, cap);
            SoftCap.Reference(reference, cap);
            return Close(fast, expected, 1e-5, 1e-5) && Close(reference, expected, 1e-5, 1e-5);
        });
        PropertyCoverage.AssertReaches(seen.Select(c => c.n), 1, 600, "length");
    }

    public static TheoryData<RopeStyle> Styles() => new(RopeStyle.RotateHalf, RopeStyle.InterleavedPairs);

    [Theory]
    [MemberData(nameof(Styles))]
    public void Rope_rotates_the_pairs_of_its_convention(RopeStyle style)
    {
        var cases = from heads in PropertyCoverage.Size(1, 6) from halfDim in PropertyCoverage.Size(1, 16) from position in PropertyCoverage.Size(0, 500)
                    select (Heads: heads, HalfDim: halfDim, Position: position);
        var seen = PropertyCoverage.Check(cases, 100, c =>
        {
            var (heads, halfDim, position) = c;
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
        });
        PropertyCoverage.AssertReaches(seen.Select(c => c.Heads), 1, 6, "heads");
        PropertyCoverage.AssertReaches(seen.Select(c => c.HalfDim), 1, 16, "half head size");
        PropertyCoverage.AssertReaches(seen.Select(c => c.Position), 0, 500, "position");
    }

    [Theory]
    [MemberData(nameof(Styles))]
    public void Partial_rope_rotates_only_the_first_features_and_scales_by_the_attention_factor(RopeStyle style)
    {
        // Phi-3: `pairs` < headDim / 2 rotates pairs within the first 2·pairs features of each head (rotate-half
        // pairs i with i + pairs); the rest pass through. LongRoPE scales cos and sin by its attention factor.
        var cases = from heads in PropertyCoverage.Size(1, 4) from halfDim in PropertyCoverage.Size(2, 16) from position in PropertyCoverage.Size(0, 300)
                    select (Heads: heads, HalfDim: halfDim, Position: position);
        var seen = PropertyCoverage.Check(cases, 100, c =>
        {
            var (heads, halfDim, position) = c;
            int d = 2 * halfDim, pairs = Math.Max(1, halfDim * 3 / 4);
            const float factor = 1.25f;
            float[] row = TestArrays.Uniform(position * 17 + heads, heads * d, 2f);
            float[] inverse = Enumerable.Range(0, pairs).Select(i => 1f / MathF.Pow(10000f, i / (float)pairs)).ToArray();
            var (cos, sin) = RopeTable.ComputeHost(inverse, position + 1, factor);
            float[] rotated = row.ToArray();
            Rope.Apply(rotated, d, cos.AsSpan(position * pairs, pairs), sin.AsSpan(position * pairs, pairs), style);

            var expected = row.Select(v => (double)v).ToArray();
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < pairs; i++)
                {
                    int a = h * d + (style == RopeStyle.RotateHalf ? i : 2 * i);
                    int b = h * d + (style == RopeStyle.RotateHalf ? i + pairs : 2 * i + 1);
                    double angle = (double)position * inverse[i];
                    expected[a] = factor * (row[a] * Math.Cos(angle) - row[b] * Math.Sin(angle));
                    expected[b] = factor * (row[a] * Math.Sin(angle) + row[b] * Math.Cos(angle));
                }
            return Close(rotated, expected, 1e-6 + position * 3e-7, 1e-5);
        });
        PropertyCoverage.AssertReaches(seen.Select(c => c.HalfDim), 2, 16, "half head size");
        PropertyCoverage.AssertReaches(seen.Select(c => c.Position), 0, 300, "position");
    }

    /// <summary>Both softmax paths against double precision, including rows offset far beyond float's exp range (~88).</summary>
    [Fact]
    public void Softmax_matches_double_precision_even_for_logits_beyond_the_exp_range()
    {
        var cases = from n in PropertyCoverage.Size(1, 600) from offset in Gen.Elements(0f, 100f, -100f, 3000f) from seed in Seeds select (N: n, Offset: offset, Seed: seed);
        var seen = PropertyCoverage.Check(cases, 150, c =>
        {
            float[] x = [.. TestArrays.Uniform(c.Seed, c.N, 20f).Select(v => v + c.Offset)];
            double max = x.Max();
            double[] e = [.. x.Select(v => Math.Exp(v - max))];
            double total = e.Sum();
            double[] expected = [.. e.Select(v => v / total)];
            float[] fast = x.ToArray(), reference = new float[c.N];
            Softmax.Compute(fast, fast);
            Softmax.Reference(x, reference);
            return Close(fast, expected, 1e-6, 1e-4) && Close(reference, expected, 1e-6, 1e-4);
        });
        PropertyCoverage.AssertReaches(seen.Select(c => c.N), 1, 600, "length");
        Assert.Contains(seen, c => c.Offset == 3000f);
    }

    /// <summary>
    /// Every score shifted far above 88 (the query's and every key's first element are 30, adding 900/√d to each score):
    /// every attention path stays finite and equal to double precision, within what float scores of ~900/√d carry
    /// (an ulp of 900 is 6e-5, so weights are good to ~1e-4 rather than 1e-6).
    /// </summary>
    [Fact]
    public void Attention_with_scores_beyond_the_exp_range_matches_a_double_precision_softmax()
    {
        var cases = from length in PropertyCoverage.Size(1, 80) from vectors in PropertyCoverage.Size(1, 8) from seed in Seeds select (Length: length, D: 8 * vectors, Seed: seed);
        var seen = PropertyCoverage.Check(cases, 100, c => AttentionMatchesDouble(c.Length, c.D, c.Seed, sharedFirst: 30f));
        PropertyCoverage.AssertReaches(seen.Select(c => c.Length), 1, 80, "attended positions");
    }

    [Fact]
    public void Attention_matches_a_double_precision_softmax()
    {
        var cases = from length in PropertyCoverage.Size(1, 80) from d in PropertyCoverage.Size(1, 64) from seed in Seeds select (Length: length, D: d, Seed: seed);
        var seen = PropertyCoverage.Check(cases, 150, c => AttentionMatchesDouble(c.Length, c.D, c.Seed));
        PropertyCoverage.AssertReaches(seen.Select(c => c.Length), 1, 80, "attended positions");
        PropertyCoverage.AssertReaches(seen.Select(c => c.D), 1, 64, "head size");
    }

    /// <summary>Head sizes that are whole vectors (8..128) take the vector loops; longer contexts too.</summary>
    [Fact]
    public void Attention_with_vector_head_sizes_matches_a_double_precision_softmax()
    {
        var cases = from length in PropertyCoverage.Size(1, 300) from vectors in PropertyCoverage.Size(1, 16) from seed in Seeds
                    select (Length: length, D: 8 * vectors, Seed: seed);
        var seen = PropertyCoverage.Check(cases, 100, c => AttentionMatchesDouble(c.Length, c.D, c.Seed));
        PropertyCoverage.AssertReaches(seen.Select(c => c.Length), 1, 300, "attended positions");
        PropertyCoverage.AssertReaches(seen.Select(c => c.D), 8, 128, "head size");
    }

    private static bool AttentionMatchesDouble(int length, int d, int seed, float? sharedFirst = null)
    {
        float[] q = TestArrays.Uniform(seed, d, 2f), keys = TestArrays.Uniform(seed + 1, length * d, 2f), values = TestArrays.Uniform(seed + 2, length * d, 3f);
        double absolute = sharedFirst is null ? 1e-5 : 2e-3;
        if (sharedFirst is { } first)
        {
            q[0] = first;
            for (int p = 0; p < length; p++) keys[p * d] = first;
        }
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

        var reference = new float[d];
        Attention.Reference(q, keys, values, length, reference);
        if (!Close(reference, expected, absolute, 1e-4)) return false;
        foreach (var isa in AttentionIsas)
        {
            var fast = new float[d];
            Attention.Compute(q, keys, values, length, new float[length], fast, isa);
            if (!Close(fast, expected, absolute, 1e-4)) return false;
        }
        return true;
    }

    /// <summary>Every one of the 65,536 F16 patterns widens to the BCL's float at every width this CPU has, NaN to NaN (payloads aside).</summary>
    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    [InlineData(0)]
    public void Every_f16_pattern_widens_exactly_at_every_width(int width)
    {
        bool supported = width switch
        {
            512 => System.Runtime.Intrinsics.X86.Avx512BW.IsSupported && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated,
            256 => System.Runtime.Intrinsics.X86.Avx2.IsSupported,
            128 => System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported,
            _ => true,
        };
        Assert.SkipUnless(supported, $"this CPU has no {width}-bit F16 widening");
        var patterns = Enumerable.Range(0, 1 << 16).Select(i => BitConverter.UInt16BitsToHalf((ushort)i)).ToArray();
        // An odd length past a whole vector, so the scalar tail runs too.
        var widened = new float[patterns.Length - 3];
        F16Run.Widen(patterns.AsSpan(3), widened, width);
        for (int i = 0; i < widened.Length; i++)
        {
            if (Half.IsNaN(patterns[i + 3])) Assert.True(float.IsNaN(widened[i]), $"pattern 0x{i + 3:X4} widened to {widened[i]}");
            else Assert.Equal(BitConverter.SingleToInt32Bits((float)patterns[i + 3]), BitConverter.SingleToInt32Bits(widened[i]));
        }
    }

    /// <summary>The ISAs whose attention loops differ (512-bit, 256-bit, per-position TensorPrimitives) that this CPU runs.</summary>
    private static readonly CpuIsa[] AttentionIsas = new[] { CpuIsa.Avx512, CpuIsa.Avx2, CpuIsa.Scalar }.Where(CpuIsaSupport.IsSupported).ToArray();

    /// <summary>
    /// The weighted sum of values, several heads at once: every output lane adds in position order at each width,
    /// so the 512-bit loops (two heads per pass) give the 256-bit loops' bits (one head per pass).
    /// </summary>
    [Fact]
    public void Weighted_values_are_the_same_bits_at_512_and_256_bits_for_any_number_of_heads()
    {
        Assert.SkipUnless(CpuIsaSupport.IsSupported(CpuIsa.Avx512), "this CPU has no AVX-512");
        var cases = from heads in PropertyCoverage.Size(1, 6) from vectors in PropertyCoverage.Size(1, 16) from count in PropertyCoverage.Size(1, 40) from seed in Seeds
                    select (Heads: heads, D: 16 * vectors, Count: count, Seed: seed);
        var seen = PropertyCoverage.Check(cases, 150, c =>
        {
            int stride = c.Count + 3;
            float[] weights = TestArrays.Uniform(c.Seed, c.Heads * stride, 1f), values = TestArrays.Uniform(c.Seed + 1, c.Count * c.D, 3f);
            float[] start = TestArrays.Uniform(c.Seed + 2, c.Heads * c.D, 1f);
            float[] wide = (float[])start.Clone(), narrow = (float[])start.Clone();
            Attention.AccumulateWeighted(weights, stride, c.Heads, c.Count, values, wide, CpuIsa.Avx512);
            Attention.AccumulateWeighted(weights, stride, c.Heads, c.Count, values, narrow, CpuIsa.Avx2);
            return wide.AsSpan().SequenceEqual(narrow);
        });
        PropertyCoverage.AssertReaches(seen.Select(c => c.Heads), 1, 6, "heads");
        PropertyCoverage.AssertReaches(seen.Select(c => c.D), 16, 256, "head size");
        PropertyCoverage.AssertReaches(seen.Select(c => c.Count), 1, 40, "positions");
    }

    [Fact]
    public void MatMulF32_matches_double_precision()
    {
        var cases = from tokens in PropertyCoverage.Size(1, 9) from k in PropertyCoverage.Size(1, 300) from n in PropertyCoverage.Size(1, 40) from seed in Seeds
                    select (Tokens: tokens, K: k, N: n, Seed: seed);
        var seen = PropertyCoverage.Check(cases, 150, c => MatMulF32Matches(c.Tokens, c.K, c.N, c.Seed));
        PropertyCoverage.AssertReaches(seen.Select(c => c.Tokens), 1, 9, "tokens");
        PropertyCoverage.AssertReaches(seen.Select(c => c.K), 1, 300, "K");
        PropertyCoverage.AssertReaches(seen.Select(c => c.N), 1, 40, "output features");
    }

    private static bool MatMulF32Matches(int tokens, int k, int n, int seed)
    {
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
        return Within(fast) && Within(reference);
    }
}
