using Transformer.Gpu.Tests.Fixtures;
using Transformer.Gpu.Tests.Support;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;

namespace Transformer.Gpu.Tests.Kernels;

/// <summary>
/// Attention with Gemma's options (own scale, soft-capped scores, a per-call window) on the device against the
/// CPU backend on the same keys and values (the CPU's is checked against a double-precision definition in the
/// kernel tests).
/// </summary>
public abstract class AttentionOptionsTests(AcceleratorFixture fixture)
{
    [Theory]
    [InlineData(0f, 0f, 0)]
    [InlineData(0.1f, 0f, 0)]
    [InlineData(0f, 2f, 0)]
    [InlineData(0f, 0f, 3)]
    [InlineData(0.2f, 1.5f, 5)]
    public void OptionsMatchTheCpu(float scale, float softCap, int window)
    {
        var backend = fixture.Require();
        using var cpu = new CpuBackend(new CpuBackendOptions { Threads = 1 });
        var options = new AttentionOptions { Scale = scale, SoftCap = softCap, Window = window };
        Close.All(Run(cpu, options), Run(backend, options), what: $"attention scale {scale} cap {softCap} window {window}");
    }

    private static float[] Run(IBackend backend, AttentionOptions options)
    {
        const int rows = 11, heads = 4, kvHeads = 2, d = 8, blockSize = 4;
        float[] q = TestArrays.Uniform(1, rows * heads * d, 3f), k = TestArrays.Uniform(2, rows * kvHeads * d, 3f), v = TestArrays.Uniform(3, rows * kvHeads * d, 1f);
        var step = new StepLayout(blockSize);
        int table = step.AddBlockTable([2, 0, 1]);
        for (int p = 0; p < rows; p++) step.AddRow(table, p, attendFrom: p > 8 ? 1 : 0, wantLogits: false);
        using var pool = backend.CreateKvPool(new KvPoolShape(1, 3, blockSize, kvHeads, d, KvDType.F32));
        using var qt = backend.Upload(q, rows, heads * d);
        using var kt = backend.Upload(k, rows, kvHeads * d);
        using var vt = backend.Upload(v, rows, kvHeads * d);
        using var output = backend.Allocate(rows, heads * d);
        backend.StoreKv(pool, 0, step, kt, vt);
        backend.Attention(qt, pool, 0, step, output, options);
        var result = new float[rows * heads * d];
        backend.Download(output, result);
        return result;
    }
}

[Collection(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuAttentionOptionsTests(IlgpuCpuFixture fixture) : AttentionOptionsTests(fixture);

[Collection(nameof(OpenClCollection))]
public sealed class OpenClAttentionOptionsTests(OpenClFixture fixture) : AttentionOptionsTests(fixture);
