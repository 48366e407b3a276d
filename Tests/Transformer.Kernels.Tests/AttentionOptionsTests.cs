using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;


namespace Transformer.Kernels.Tests;

/// <summary>
/// Attention with Gemma's options on the CPU backend (its own scale, soft-capped scores, a per-call window on
/// top of the step's span) against a double-precision softmax written from the definition.
/// </summary>
public sealed class AttentionOptionsTests
{
    [Theory]
    [InlineData(0f, 0f, 0)]     // the default: 1/√d, no cap, the step's span
    [InlineData(0.1f, 0f, 0)]   // query_pre_attn_scalar ≠ head_dim
    [InlineData(0f, 2f, 0)]     // Gemma 2's attention soft-capping, small enough to matter
    [InlineData(0f, 0f, 3)]     // a sliding layer's window
    [InlineData(0.2f, 1.5f, 5)] // all three
    public void Options_match_the_definition(float scale, float softCap, int window)
    {
        const int rows = 11, heads = 4, kvHeads = 2, d = 8, blockSize = 4;
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 2 });
        float[] q = TestArrays.Uniform(1, rows * heads * d, 3f), k = TestArrays.Uniform(2, rows * kvHeads * d, 3f), v = TestArrays.Uniform(3, rows * kvHeads * d, 1f);
        var step = new StepLayout(blockSize);
        int table = step.AddBlockTable([2, 0, 1]);
        for (int p = 0; p < rows; p++) step.AddRow(table, p, attendFrom: p > 8 ? 1 : 0, wantLogits: false); // the step's own span starts at 1 late on
        using var pool = backend.CreateKvPool(new KvPoolShape(1, 3, blockSize, kvHeads, d, KvDType.F32));
        using var qt = backend.Upload(q, rows, heads * d);
        using var kt = backend.Upload(k, rows, kvHeads * d);
        using var vt = backend.Upload(v, rows, kvHeads * d);
        using var output = backend.Allocate(rows, heads * d);
        backend.StoreKv(pool, 0, step, kt, vt);
        var options = new AttentionOptions { Scale = scale, SoftCap = softCap, Window = window };

        backend.Attention(qt, pool, 0, step, output, options);

        var actual = new float[rows * heads * d];
        backend.Download(output, actual);
        double s = scale > 0 ? scale : 1 / Math.Sqrt(d);
        for (int r = 0; r < rows; r++)
            for (int h = 0; h < heads; h++)
            {
                int kvHead = h / (heads / kvHeads);
                int from = Math.Max(step.AttendFrom[r], window > 0 ? r - window + 1 : 0);
                var scores = new double[r - from + 1];
                for (int p = from; p <= r; p++)
                {
                    double dot = 0;
                    for (int i = 0; i < d; i++) dot += q[(r * heads + h) * d + i] * (double)k[(p * kvHeads + kvHead) * d + i];
                    double score = dot * s;
                    scores[p - from] = softCap > 0 ? softCap * Math.Tanh(score / softCap) : score;
                }
                double max = scores.Max(), sum = scores.Sum(x => Math.Exp(x - max));
                for (int i = 0; i < d; i++)
                {
                    double expected = 0;
                    for (int p = from; p <= r; p++) expected += Math.Exp(scores[p - from] - max) / sum * v[(p * kvHeads + kvHead) * d + i];
                    float got = actual[(r * heads + h) * d + i];
                    Assert.True(Math.Abs(got - expected) <= 1e-5 + 1e-5 * Math.Abs(expected), $"row {r} head {h} feature {i}: {got} vs {expected}");
                }
            }
    }
}
