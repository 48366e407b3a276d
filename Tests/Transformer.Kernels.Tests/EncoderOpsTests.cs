using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Cpu.Ops;
using static Transformer.Kernels.Tests.OpsTestData;

namespace Transformer.Kernels.Tests;

/// <summary>
/// The encoder (BERT) ops: layer norm with a bias, the exact erf GELU and attention without a causal mask, each
/// vectorised path against its scalar reference and both against double-precision definitions.
/// </summary>
public sealed class EncoderOpsTests
{
    private static Gen<int> Seeds => Gen.Choose(int.MinValue / 4, int.MaxValue / 4);

    [Fact]
    public void LayerNorm_matches_double_precision_even_in_place()
    {
        var seen = PropertyCoverage.Check(from n in PropertyCoverage.Size(1, 1100) from seed in Seeds select (n, seed), 200, c =>
        {
            // An offset mean, as residual streams have, so a one-pass variance would cancel.
            float[] x = TestArrays.Uniform(c.seed, c.n, 3f).Select(v => v + 20f).ToArray();
            float[] w = TestArrays.Uniform(c.seed + 1, c.n, 2f), b = TestArrays.Uniform(c.seed + 2, c.n, 1f);
            double mean = x.Average(v => (double)v);
            double variance = x.Sum(v => (v - mean) * (v - mean)) / c.n;
            double[] expected = x.Select((v, i) => (v - mean) / Math.Sqrt(variance + 1e-12) * w[i] + b[i]).ToArray();
            var reference = new float[c.n];
            LayerNorm.Reference(x, w, b, 1e-12f, reference);
            float[] inPlace = x.ToArray();
            LayerNorm.Compute(inPlace, w, b, 1e-12f, inPlace);
            return Close(inPlace, expected, 2e-4, 1e-4) && Close(reference, expected, 2e-4, 1e-4);
        });
        PropertyCoverage.AssertReaches(seen.Select(c => c.n), 1, 1100, "length");
    }

    [Theory]
    [InlineData(0.5, 0.4795001221869535)]   // erfc, tabulated
    [InlineData(1.0, 0.15729920705028513)]
    [InlineData(2.0, 0.004677734981047266)]
    [InlineData(3.0, 2.209049699858544e-05)]
    [InlineData(5.0, 1.5374597944280349e-12)]
    [InlineData(-1.5, 1.9661051464753108)]
    public void Erfc_reference_matches_tabulated_values(double z, double expected) =>
        Assert.Equal(expected, Gelu.Erfc(z), expected * 1e-12);

    [Fact]
    public void Gelu_matches_its_double_precision_reference_even_in_place()
    {
        var seen = PropertyCoverage.Check(from n in PropertyCoverage.Size(1, 1200) from seed in Seeds select (n, seed), 200, c =>
        {
            float[] x = TestArrays.Uniform(c.seed, c.n, 10f);
            double[] expected = x.Select(v => v * 0.5 * Gelu.Erfc(-v / Math.Sqrt(2))).ToArray();
            var reference = new float[c.n];
            Gelu.Reference(x, reference);
            var separate = new float[c.n];
            Gelu.Compute(x, separate);
            float[] inPlace = x.ToArray();
            Gelu.Compute(inPlace, inPlace);
            // Abramowitz–Stegun's erfc is good to 1.5e-7, so |x|·Φ is good to ~1e-6 on |x| ≤ 10.
            return Close(reference, expected, 1e-7, 1e-6) && Close(separate, expected, 1.5e-6, 1e-6) && Close(inPlace, expected, 1.5e-6, 1e-6);
        });
        PropertyCoverage.AssertReaches(seen.Select(c => c.n), 1, 1200, "length");
    }

    [Fact]
    public void Bidirectional_attention_matches_double_precision()
    {
        var cases = from length in PropertyCoverage.Size(1, 70)
                    from heads in Gen.Choose(1, 4)
                    from headDim in Gen.Elements(1, 8, 16, 33, 64)
                    from seed in Seeds
                    select (length, heads, headDim, seed);
        var seen = PropertyCoverage.Check(cases, 150, c =>
        {
            int width = c.heads * c.headDim;
            float[] q = TestArrays.Uniform(c.seed, c.length * width, 2f), k = TestArrays.Uniform(c.seed + 1, c.length * width, 2f), v = TestArrays.Uniform(c.seed + 2, c.length * width, 3f);
            var scores = new float[c.length];
            float scale = 1f / MathF.Sqrt(c.headDim);
            for (int row = 0; row < c.length; row++)
            for (int h = 0; h < c.heads; h++)
            {
                int offset = h * c.headDim;
                var query = q.AsSpan(row * width + offset, c.headDim);
                var expected = Expected(q, k, v, row, offset, c.length, width, c.headDim, scale);
                var fast = new float[c.headDim];
                var reference = new float[c.headDim];
                BidirectionalAttention.Compute(query, k, v, c.length, width, offset, c.headDim, scale, scores, fast);
                BidirectionalAttention.Reference(query, k, v, c.length, width, offset, c.headDim, scale, scores, reference);
                if (!Close(fast, expected, 1e-5, 1e-5) || !Close(reference, expected, 1e-5, 1e-5)) return false;
            }
            return true;
        });
        PropertyCoverage.AssertReaches(seen.Select(c => c.length), 1, 70, "sequence length");
    }

    private static double[] Expected(float[] q, float[] k, float[] v, int row, int offset, int length, int width, int headDim, double scale)
    {
        var scores = new double[length];
        for (int j = 0; j < length; j++)
        {
            double dot = 0;
            for (int i = 0; i < headDim; i++) dot += (double)q[row * width + offset + i] * k[j * width + offset + i];
            scores[j] = dot * scale;
        }
        double max = scores.Max();
        double[] p = scores.Select(s => Math.Exp(s - max)).ToArray();
        double sum = p.Sum();
        var output = new double[headDim];
        for (int i = 0; i < headDim; i++)
            for (int j = 0; j < length; j++) output[i] += p[j] / sum * v[j * width + offset + i];
        return output;
    }

    public static TheoryData<CpuIsa> Paths() => new(CpuIsa.Scalar, CpuIsaSelection.Resolve(null, null));

    [Theory]
    [MemberData(nameof(Paths))]
    public void Backend_attention_keeps_each_packed_sequence_to_itself(CpuIsa isa)
    {
        // Two sequences packed as rows 0..2 and 3..6: each must equal the sequence attended on its own.
        const int headDim = 8, width = 16;
        int[] lengths = [3, 4];
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 2, Isa = isa });
        float[] q = TestArrays.Uniform(7, 7 * width, 2f), k = TestArrays.Uniform(8, 7 * width, 2f), v = TestArrays.Uniform(9, 7 * width, 2f);
        var output = new float[7 * width];
        using (var qt = backend.Upload(q, 7, width))
        using (var kt = backend.Upload(k, 7, width))
        using (var vt = backend.Upload(v, 7, width))
        using (var ot = backend.Allocate(7, width))
        {
            backend.BidirectionalAttention(qt, kt, vt, headDim, lengths, ot);
            backend.Download(ot, output);
        }
        int start = 0;
        foreach (int length in lengths)
        {
            float[] Part(float[] a) => a.AsSpan(start * width, length * width).ToArray();
            for (int row = 0; row < length; row++)
            for (int h = 0; h < width / headDim; h++)
            {
                var expected = Expected(Part(q), Part(k), Part(v), row, h * headDim, length, width, headDim, 1 / Math.Sqrt(headDim));
                Assert.True(Close(output.AsSpan((start + row) * width + h * headDim, headDim), expected, 1e-5, 1e-5), $"row {start + row} head {h}");
            }
            start += length;
        }
    }

    [Fact]
    public void Backend_attention_rejects_lengths_that_do_not_cover_the_rows()
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 1 });
        using var t = backend.Allocate(5, 8);
        var error = Assert.Throws<ArgumentException>(() => backend.BidirectionalAttention(t, t, t, 4, [2, 2], t));
        Assert.Contains("sequences of 4 rows for a tensor of 5", error.Message);
    }
}
