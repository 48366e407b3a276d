using FsCheck;
using FsCheck.Fluent;
using Transformer.Gpu.Tests.Fixtures;
using Transformer.Gpu.Tests.Support;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;

namespace Transformer.Gpu.Tests.Kernels;

/// <summary>
/// StoreKv then paged attention over several sequences in one step, against the CPU scalar
/// Attention.Reference (and, for F16 pools, against the CPU backend's own F16 pool). Physical blocks
/// are shuffled, rows of different sequences interleave, sliding windows start mid-block with the
/// blocks before them freed, and histories reach past two position tiles of the kernel (64 each) and
/// several blocks of every block size.
/// </summary>
public abstract class PagedAttentionTests(AcceleratorFixture fixture)
{
    // Both pool types round keys and values once on write and then compute in float32 on both sides, so
    // the F16 bound is the F32 one: the GPU and CPU differ only in summation order.
    private const float Absolute = 1e-5f, Relative = 1e-4f;

    private static readonly Gen<SequenceSpec> Sequence =
        from history in Gen.Choose(0, 150)
        from rows in Gen.Choose(1, 4)
        from windowed in Gen.Elements(false, true)
        from window in Gen.Choose(1, 90)
        select new SequenceSpec(history, rows, windowed ? window : null);

    private static readonly Gen<Case> Cases =
        from kvHeads in Gen.Choose(1, 2)
        from grouping in Gen.Choose(1, 3)
        from headDim in Gen.Elements(2, 8, 16, 64)
        from count in Gen.Choose(1, 4)
        from sequences in Sequence.ArrayOf(count)
        from layer in Gen.Choose(0, 1)
        from spare in Gen.Choose(0, 3)
        from seed in Gen.Choose(0, int.MaxValue)
        select new Case(kvHeads, kvHeads * grouping, headDim, sequences, layer, spare, seed);

    public sealed record Case(int KvHeads, int Heads, int HeadDim, SequenceSpec[] Sequences, int Layer, int SpareBlocks, int Seed)
    {
        public override string ToString() =>
            $"kv {KvHeads}, heads {Heads}, d {HeadDim}, layer {Layer}, spare {SpareBlocks}, seed {Seed}, sequences [{string.Join("; ", Sequences.Select(s => $"{s.History}+{s.Rows} w{s.Window?.ToString() ?? "-"}"))}]";
    }

    [Theory]
    [InlineData(1, KvDType.F32)]
    [InlineData(16, KvDType.F32)]
    [InlineData(32, KvDType.F32)]
    [InlineData(1, KvDType.F16)]
    [InlineData(16, KvDType.F16)]
    [InlineData(32, KvDType.F16)]
    public void PagedAttentionMatchesTheScalarReference(int blockSize, KvDType type)
    {
        var backend = fixture.Require();
        using var cpu = new CpuBackend(new CpuBackendOptions { Threads = 1 });
        Properties.Check(Cases, c =>
        {
            var scenario = Build(c, blockSize, type);
            float[] actual = scenario.RunAttention(backend, c.Layer);
            Close.All(scenario.ReferenceAttention(), actual, Absolute, Relative, what: $"attention vs reference ({c})");
            if (type == KvDType.F16)
                Close.All(scenario.RunAttention(cpu, c.Layer), actual, Absolute, Relative, what: $"attention vs the CPU F16 pool ({c})");
        }, cases: 8);
    }

    [Theory]
    [InlineData(1, KvDType.F32)]
    [InlineData(16, KvDType.F16)]
    [InlineData(32, KvDType.F32)]
    public void StoreKvWritesEachRowToItsSlot(int blockSize, KvDType type)
    {
        var backend = fixture.Require();
        Properties.Check(Cases, c =>
        {
            var scenario = Build(c, blockSize, type);
            using var pool = backend.CreateKvPool(scenario.Shape);
            scenario.Store(backend, pool, c.Layer);
            var gpu = (Transformer.Kernels.Gpu.Memory.IlgpuKvPool)pool;
            int d = c.HeadDim;
            var keys = new float[blockSize * d];
            var values = new float[blockSize * d];
            foreach (var (step, k, v) in new[] { (scenario.History, scenario.HistoryKeys, scenario.HistoryValues), (scenario.Step, scenario.StepKeys, scenario.StepValues) })
            {
                for (int r = 0; r < step.Rows; r++)
                {
                    int block = step.Slots[r] / blockSize, offset = step.Slots[r] % blockSize;
                    for (int h = 0; h < c.KvHeads; h++)
                    {
                        gpu.ReadKeys(c.Layer, block, h, keys);
                        gpu.ReadValues(c.Layer, block, h, values);
                        for (int i = 0; i < d; i++)
                        {
                            int at = r * scenario.KvColumns + h * d + i;
                            // Bitwise: F16 rounding on the device must equal System.Half's.
                            Assert.Equal(scenario.Stored(k[at]), keys[offset * d + i]);
                            Assert.Equal(scenario.Stored(v[at]), values[offset * d + i]);
                        }
                    }
                }
            }
        }, cases: 6);
    }

    private static PagedScenario Build(Case c, int blockSize, KvDType type) =>
        new(c.Sequences, blockSize, type, c.KvHeads, c.Heads, c.HeadDim, layers: 2, c.SpareBlocks, c.Seed);
}

[Collection(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuPagedAttentionTests(IlgpuCpuFixture fixture) : PagedAttentionTests(fixture);

[Collection(nameof(OpenClCollection))]
public sealed class OpenClPagedAttentionTests(OpenClFixture fixture) : PagedAttentionTests(fixture);
