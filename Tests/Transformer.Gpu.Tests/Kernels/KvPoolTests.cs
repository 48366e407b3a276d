using Transformer.Gpu.Tests.Fixtures;
using Transformer.Gpu.Tests.Support;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Gpu.Memory;

namespace Transformer.Gpu.Tests.Kernels;

/// <summary>
/// The F16 pool's conversions (bit for bit those of <see cref="Half"/>), and the errors for layouts and
/// pools the kernels cannot index.
/// </summary>
public abstract class KvPoolTests(AcceleratorFixture fixture)
{
    [Fact]
    public void EveryHalfValueSurvivesStoreAndAttentionUnchanged()
    {
        // A window of one position makes attention return the stored value itself (softmax of one score
        // is exactly 1), so this runs the kernels' narrowing and widening on all 65 536 binary16 patterns.
        var backend = fixture.Require();
        const int d = 64, rows = 65536 / d;
        var halves = new float[rows * d];
        for (int i = 0; i < halves.Length; i++) halves[i] = (float)BitConverter.UInt16BitsToHalf((ushort)i);
        var step = new StepLayout(blockSize: 16);
        int table = step.AddBlockTable(Enumerable.Range(0, rows / 16).Reverse().ToArray());
        for (int p = 0; p < rows; p++) step.AddRow(table, p, attendFrom: p, wantLogits: false);
        using var pool = backend.CreateKvPool(new KvPoolShape(1, rows / 16, 16, 1, d, KvDType.F16));
        using var keys = backend.Upload(new float[halves.Length], rows, d);
        using var values = backend.Upload(halves, rows, d);
        using var queries = backend.Upload(Transformer.Tests.Shared.TestArrays.Uniform(1, rows * d), rows, d);
        using var output = backend.Allocate(rows, d);
        backend.StoreKv(pool, 0, step, keys, values);
        backend.Attention(queries, pool, 0, step, output);
        var actual = new float[halves.Length];
        backend.Download(output, actual);
        for (int i = 0; i < halves.Length; i++)
        {
            // The weighted sum starts from +0, and +0 + −0 = +0: that is the one value the arithmetic changes.
            float expected = 0f + halves[i];
            if (float.IsNaN(expected)) Assert.True(float.IsNaN(actual[i]), $"half 0x{i:X4} (NaN) came back as {actual[i]}");
            else Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual[i]), $"half 0x{i:X4} = {expected:R} came back as {actual[i]:R}");
        }
    }

    [Fact]
    public void FloatsAreRoundedToHalfExactlyAsSystemHalfRoundsThem()
    {
        var backend = fixture.Require();
        var random = new Random(16);
        var edges = new List<float>
        {
            0f, -0f, 1f, -1f, 65504f, 65519.996f, 65520f, -65520f, 1e6f, float.PositiveInfinity, float.NegativeInfinity, float.NaN,
            MathF.Pow(2, -14), MathF.Pow(2, -14) * 0.99999f, MathF.Pow(2, -24), MathF.Pow(2, -25), MathF.Pow(2, -25) * 1.00001f,
            MathF.Pow(2, -25) * 0.99999f, 1.5f * MathF.Pow(2, -24), 2.5f * MathF.Pow(2, -24), 1f + MathF.Pow(2, -11), 1f + 3 * MathF.Pow(2, -11),
            float.Epsilon, float.MaxValue, float.MinValue,
        };
        // Ties and near-ties across the whole half range, then arbitrary bit patterns (mostly huge or tiny).
        for (int i = 0; i < 2000; i++) edges.Add((float)BitConverter.UInt16BitsToHalf((ushort)random.Next(65536)) * (1f + (random.Next(3) - 1) * MathF.Pow(2, -11)));
        for (int i = 0; i < 2000; i++) edges.Add(BitConverter.Int32BitsToSingle(random.Next() ^ (random.Next(2) << 31)));
        const int d = 8;
        int rows = (edges.Count + d - 1) / d;
        var input = new float[rows * d];
        edges.CopyTo(input);
        var step = new StepLayout(blockSize: 1);
        int table = step.AddBlockTable(Enumerable.Range(0, rows).ToArray());
        for (int p = 0; p < rows; p++) step.AddRow(table, p, 0, wantLogits: false);
        using var pool = (IlgpuKvPool)backend.CreateKvPool(new KvPoolShape(1, rows, 1, 1, d, KvDType.F16));
        using var k = backend.Upload(input, rows, d);
        backend.StoreKv(pool, 0, step, k, k);
        var stored = new float[d];
        for (int p = 0; p < rows; p++)
        {
            pool.ReadKeys(0, p, 0, stored);
            for (int i = 0; i < d; i++)
            {
                float expected = (float)(Half)input[p * d + i];
                if (float.IsNaN(expected)) Assert.True(float.IsNaN(stored[i]), $"{input[p * d + i]:R} stored as {stored[i]}");
                else Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(stored[i]),
                    $"{input[p * d + i]:R} (0x{BitConverter.SingleToInt32Bits(input[p * d + i]):X8}) stored as {stored[i]:R}, System.Half gives {expected:R}");
            }
        }
    }

    [Fact]
    public void APoolBeyondThirtyTwoBitIndexingIsRefusedBeforeAllocating()
    {
        var backend = fixture.Require();
        var shape = new KvPoolShape(Layers: 32, Blocks: 1 << 16, BlockSize: 16, KvHeads: 8, HeadDim: 128, KvDType.F16);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => backend.CreateKvPool(shape));
        Assert.Contains("exceeds the GPU kernels' 32-bit indexing", error.Message);
        Assert.Contains("65536 blocks of 16 positions", error.Message);
    }

    [Fact]
    public void AStepAttendingToABlockOutsideThePoolIsRefused()
    {
        var backend = fixture.Require();
        using var pool = backend.CreateKvPool(new KvPoolShape(1, 4, 2, 1, 4, KvDType.F32));
        var step = new StepLayout(blockSize: 2);
        int table = step.AddBlockTable([3, 9]);
        step.AddRow(table, 1, 0, wantLogits: true);   // block 3: inside
        step.AddRow(table, 2, 0, wantLogits: true);   // block 9: outside a pool of 4
        using var q = backend.Allocate(2, 4);
        using var output = backend.Allocate(2, 4);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => backend.Attention(q, pool, 0, step, output));
        Assert.Contains("attends to blocks 3..9, outside a KV pool of 4 blocks", error.Message);
        var store = Assert.Throws<ArgumentOutOfRangeException>(() => backend.StoreKv(pool, 0, step, q, q));
        Assert.Contains("slot 18 is outside a KV pool of 8 slots", store.Message);
    }

    [Fact]
    public void MismatchedStepsLayersAndPoolsAreRefused()
    {
        var backend = fixture.Require();
        using var pool = backend.CreateKvPool(new KvPoolShape(2, 4, 2, 1, 4, KvDType.F32));
        var step = Steps.AtPositions([0, 1]);
        using var rows = backend.Allocate(2, 4);
        using var oneRow = backend.Allocate(1, 4);
        Assert.Contains("blocks of 1 positions do not match the pool's 2", Assert.Throws<ArgumentException>(() => backend.StoreKv(pool, 0, step, rows, rows)).Message);
        Assert.Contains("a tensor of 1 rows for a step of 2", Assert.Throws<ArgumentException>(() => backend.Attention(oneRow, pool, 0, step, oneRow)).Message);
        Assert.Contains("layer 2 outside a KV pool of 2 layers", Assert.Throws<ArgumentOutOfRangeException>(() => backend.StoreKv(pool, 2, step, rows, rows)).Message);
        using var cpu = new CpuBackend(new CpuBackendOptions { Threads = 1 });
        using var cpuPool = cpu.CreateKvPool(pool.Shape);
        Assert.Contains("does not belong to the ILGPU backend", Assert.Throws<ArgumentException>(() => backend.StoreKv(cpuPool, 0, step, rows, rows)).Message);
    }
}

[Collection(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuKvPoolTests(IlgpuCpuFixture fixture) : KvPoolTests(fixture);

[Collection(nameof(OpenClCollection))]
public sealed class OpenClKvPoolTests(OpenClFixture fixture) : KvPoolTests(fixture);
