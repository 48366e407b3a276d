using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Cpu.Ops;

namespace Transformer.Kernels.Tests;

/// <summary>
/// Paged attention through the CPU backend (StoreKv to per-row slots, then Attention over block tables)
/// against <see cref="Attention.Compute"/> on the same positions laid out contiguously: bitwise equal,
/// whatever the block size, the physical order of the blocks, the other sequences in the step or the
/// sliding window. Positions outside each row's [from, to] hold NaN, so reading one position too many
/// on either side turns the output NaN, and reading one too few changes its bits. Each case runs on one of the
/// CPU's attention paths (512-bit, 256-bit, TensorPrimitives), forced through the backend's ISA.
/// </summary>
public sealed class PagedAttentionTests
{
    private sealed record Case(int BlockSize, int HeadDim, int Heads, int KvHeads, int[] Lengths, int[] Windows, KvDType Type, CpuIsa Isa);

    /// <summary>The ISAs whose attention loops differ (512-bit, 256-bit, per-position TensorPrimitives) that this CPU runs.</summary>
    private static readonly CpuIsa[] s_isas = new[] { CpuIsa.Avx512, CpuIsa.Avx2, CpuIsa.Scalar }.Where(CpuIsaSupport.IsSupported).ToArray();

    private static Case RandomCase(int seed)
    {
        var r = new Random(seed);
        int[] blockSizes = [1, 3, 16, 32];
        int kvHeads = r.Next(1, 3);
        int sequences = r.Next(1, 5);
        // Head sizes: whole 256-bit vectors (the vector loops; every other one a whole 512-bit vector) and odd ones (the TensorPrimitives loop).
        int d = r.Next(2) == 0 ? 8 * r.Next(1, 17) : r.Next(1, 40);
        return new Case(blockSizes[r.Next(blockSizes.Length)], d, kvHeads * r.Next(1, 4), kvHeads,
            Enumerable.Range(0, sequences).Select(_ => r.Next(1, 301)).ToArray(),
            Enumerable.Range(0, sequences).Select(_ => r.Next(3) == 0 ? r.Next(1, 40) : 0).ToArray(),
            r.Next(3) == 0 ? KvDType.F16 : KvDType.F32, s_isas[r.Next(s_isas.Length)]);
    }

    [Property(MaxTest = 150)]
    public Property Paged_attention_equals_contiguous_attention_bitwise(int seed) => Check(RandomCase(seed), seed).ToProperty();

    /// <summary>The edges the random cases may miss: one position, block boundaries, the longest span, one-slot blocks.</summary>
    [Theory]
    [InlineData(1, 64, new[] { 1 }, 0)]
    [InlineData(16, 64, new[] { 16, 17, 15, 32, 33 }, 0)]
    [InlineData(32, 128, new[] { 300, 1, 64 }, 0)]
    [InlineData(1, 8, new[] { 40, 41 }, 7)]
    [InlineData(16, 64, new[] { 100, 50 }, 16)]
    [InlineData(3, 5, new[] { 10, 11, 12 }, 4)]
    public void Edge_cases_equal_contiguous_attention_bitwise(int blockSize, int headDim, int[] lengths, int window)
    {
        foreach (var isa in s_isas)
            foreach (var type in new[] { KvDType.F32, KvDType.F16 })
                Assert.True(Check(new Case(blockSize, headDim, 4, 2, lengths, lengths.Select(_ => window).ToArray(), type, isa), seed: 17), $"{isa} {type}");
    }

    private static bool Check(Case c, int seed)
    {
        var r = new Random(seed);
        int bs = c.BlockSize, d = c.HeadDim, kvWidth = c.KvHeads * d, qWidth = c.Heads * d;
        int[] blocksPer = c.Lengths.Select(l => (l + bs - 1) / bs).ToArray();
        int totalBlocks = blocksPer.Sum() + 2;
        // Physical blocks in a shuffled order, so no sequence's table is contiguous or sorted.
        int[] physical = Enumerable.Range(0, totalBlocks).OrderBy(_ => r.Next()).ToArray();
        var tables = new int[c.Lengths.Length][];
        for (int s = 0, next = 0; s < tables.Length; s++) { tables[s] = physical[next..(next + blocksPer[s])]; next += blocksPer[s]; }

        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 2, Isa = c.Isa });
        var shape = new KvPoolShape(1, totalBlocks, bs, c.KvHeads, d, c.Type);
        using var pool = (CpuKvPool)backend.CreateKvPool(shape);
        Poison(pool);
        var keys = c.Lengths.Select((l, s) => TestArrays.Uniform(seed + 10 * s, l * kvWidth, 2f)).ToArray();
        var values = c.Lengths.Select((l, s) => TestArrays.Uniform(seed + 10 * s + 1, l * kvWidth, 3f)).ToArray();
        if (c.Type == KvDType.F16)
        {
            // The contiguous reference sees what the pool stores: values rounded to half once.
            foreach (var a in keys.Concat(values)) for (int i = 0; i < a.Length; i++) a[i] = (float)(Half)a[i];
        }

        // Write every position's key and value with StoreKv, one step per sequence.
        for (int s = 0; s < tables.Length; s++)
        {
            var store = new StepLayout(bs);
            int t = store.AddBlockTable(tables[s]);
            for (int p = 0; p < c.Lengths[s]; p++) store.AddRow(t, p, 0, wantLogits: false);
            backend.StoreKv(pool, 0, store, backend.Upload(keys[s], c.Lengths[s], kvWidth), backend.Upload(values[s], c.Lengths[s], kvWidth));
        }

        // One step: a few query rows of every sequence, interleaved, each at a random position.
        var step = new StepLayout(bs);
        int[] starts = tables.Select(table => step.AddBlockTable(table)).ToArray();
        var rows = new List<(int Sequence, int Position, int From)>();
        for (int s = 0; s < tables.Length; s++)
            for (int q = 0; q < 3; q++)
            {
                int position = q == 0 ? c.Lengths[s] - 1 : r.Next(c.Lengths[s]);
                int from = c.Windows[s] > 0 ? Math.Max(0, position - c.Windows[s] + 1) : 0;
                rows.Add((s, position, from));
            }
        rows = rows.OrderBy(_ => r.Next()).ToList();
        foreach (var (s, position, from) in rows) step.AddRow(starts[s], position, from, wantLogits: false);
        float[] queries = TestArrays.Uniform(seed + 99, rows.Count * qWidth, 2f);
        var output = backend.Allocate(rows.Count, qWidth);
        backend.Attention(backend.Upload(queries, rows.Count, qWidth), pool, 0, step, output);
        var actual = new float[rows.Count * qWidth];
        backend.Download(output, actual);

        for (int i = 0; i < rows.Count; i++)
        {
            var (s, position, from) = rows[i];
            int length = position - from + 1;
            for (int h = 0; h < c.Heads; h++)
            {
                int kv = h / (c.Heads / c.KvHeads);
                var (k, v) = (Gather(keys[s], from, length, kv, d, kvWidth), Gather(values[s], from, length, kv, d, kvWidth));
                var expected = new float[d];
                Attention.Compute(queries.AsSpan(i * qWidth + h * d, d), k, v, length, new float[length], expected, c.Isa);
                if (!expected.AsSpan().SequenceEqual(actual.AsSpan(i * qWidth + h * d, d))) return false;
            }
        }
        return true;
    }

    private static float[] Gather(float[] rows, int from, int length, int kvHead, int d, int width)
    {
        var head = new float[length * d];
        for (int p = 0; p < length; p++) rows.AsSpan((from + p) * width + kvHead * d, d).CopyTo(head.AsSpan(p * d));
        return head;
    }

    private static void Poison(CpuKvPool pool)
    {
        var s = pool.Shape;
        for (int b = 0; b < s.Blocks; b++)
            for (int h = 0; h < s.KvHeads; h++)
            {
                if (s.Type == KvDType.F32) { pool.KeysF32(0, b, h).Fill(float.NaN); pool.ValuesF32(0, b, h).Fill(float.NaN); }
                else { pool.KeysF16(0, b, h).Fill(Half.NaN); pool.ValuesF16(0, b, h).Fill(Half.NaN); }
            }
    }
}
