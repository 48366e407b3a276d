using FsCheck;
using FsCheck.Fluent;
using Transformer.Gpu.Tests.Fixtures;
using Transformer.Gpu.Tests.Support;
using Transformer.Kernels.Gpu;
using Reference = Transformer.Kernels.Cpu.Ops.Attention;

namespace Transformer.Gpu.Tests.Kernels;

/// <summary>
/// StoreKv then causal GQA attention (decode kernel for one row, prefill kernel for many) against the
/// CPU scalar Attention.Reference run on the same keys and values.
/// </summary>
public abstract class AttentionTests(AcceleratorFixture fixture)
{
    private static Gen<Case> Cases(int minRows, int maxRows) =>
        from kvHeads in Gen.Choose(1, 3)
        from grouping in Gen.Choose(1, 3)
        from headDim in Gen.Elements(2, 4, 8, 16, 32, 64)
        from history in Gen.Choose(0, 40)
        from rows in Gen.Choose(minRows, maxRows)
        from layer in Gen.Choose(0, 1)
        from seed in Gen.Choose(0, int.MaxValue)
        select new Case(kvHeads, kvHeads * grouping, headDim, history, rows, layer, seed);

    public sealed record Case(int KvHeads, int Heads, int HeadDim, int History, int Rows, int Layer, int Seed);

    [Fact]
    public void DecodeMatchesReference()
    {
        var backend = fixture.Require();
        Properties.Check(Cases(1, 1), c => CheckAttention(backend, c));
    }

    [Fact]
    public void PrefillMatchesReference()
    {
        var backend = fixture.Require();
        Properties.Check(Cases(2, 24), c => CheckAttention(backend, c));
    }

    private static void CheckAttention(IlgpuBackend backend, Case c)
    {
        int d = c.HeadDim, kvColumns = c.KvHeads * d, qColumns = c.Heads * d;
        int total = c.History + c.Rows;
        const int layers = 2;
        float[] keys = TestArrays.Uniform(c.Seed, total * kvColumns, 2f), values = TestArrays.Uniform(c.Seed + 1, total * kvColumns);
        float[] queries = TestArrays.Uniform(c.Seed + 2, c.Rows * qColumns, 2f);

        using var cache = backend.CreateKvCache(layers, total + 3, c.KvHeads, d);
        using var k = backend.Upload(keys, total, kvColumns);
        using var v = backend.Upload(values, total, kvColumns);
        // History first, then the new rows, as a prefill followed by a continuation would write them.
        if (c.History > 0) backend.StoreKv(cache, c.Layer, 0, k.SliceRows(0, c.History), v.SliceRows(0, c.History));
        backend.StoreKv(cache, c.Layer, c.History, k.SliceRows(c.History, c.Rows), v.SliceRows(c.History, c.Rows));
        using var q = backend.Upload(queries, c.Rows, qColumns);
        using var output = backend.Allocate(c.Rows, qColumns);
        backend.Attention(q, cache, c.Layer, c.History, output);
        var actual = new float[c.Rows * qColumns];
        backend.Download(output, actual);

        var expected = new float[actual.Length];
        int group = c.Heads / c.KvHeads;
        for (int t = 0; t < c.Rows; t++)
            for (int h = 0; h < c.Heads; h++)
            {
                int kvHead = h / group, length = c.History + t + 1;
                var headKeys = new float[length * d];
                var headValues = new float[length * d];
                for (int p = 0; p < length; p++)
                {
                    Array.Copy(keys, p * kvColumns + kvHead * d, headKeys, p * d, d);
                    Array.Copy(values, p * kvColumns + kvHead * d, headValues, p * d, d);
                }
                Reference.Reference(queries.AsSpan(t * qColumns + h * d, d), headKeys, headValues, length, expected.AsSpan(t * qColumns + h * d, d));
            }
        Close.All(expected, actual, absolute: 1e-5f, relative: 1e-4f, what: "attention");
    }
}

[Collection(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuAttentionTests(IlgpuCpuFixture fixture) : AttentionTests(fixture);

[Collection(nameof(OpenClCollection))]
public sealed class OpenClAttentionTests(OpenClFixture fixture) : AttentionTests(fixture);
