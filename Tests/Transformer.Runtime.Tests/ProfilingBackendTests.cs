using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Runtime.Diagnostics;
using Transformer.Runtime.Llama;
using Transformer.Runtime.Synthetic;

namespace Transformer.Runtime.Tests;

/// <summary>The profiling decorator changes no result and attributes every op to its category.</summary>
public sealed class ProfilingBackendTests
{
    [Fact]
    public void Profiled_logits_equal_unprofiled_ones_and_each_op_is_counted_once()
    {
        var config = SyntheticPresets.Get("tiny");
        using var plain = new LlamaModel(config, new SyntheticWeightSource(config), new CpuBackend(), ownsWeights: true, ownsBackend: true);
        var profiler = new ProfilingBackend(new CpuBackend(), ownsInner: true);
        using var profiled = new LlamaModel(config, new SyntheticWeightSource(config), profiler, ownsWeights: true, ownsBackend: true);
        int[] prompt = [1, 2, 3];

        Assert.Equal(Logits(plain, prompt), Logits(profiled, prompt));

        profiler.Profile.Reset();
        using var sequence = profiled.CreateSequence(8);
        sequence.AppendAndArgmax(prompt);

        var p = profiler.Profile;
        int layers = config.NumLayers;
        // Per layer: QKV, output, gate+up and down projections; then one classifier matmul.
        Assert.Equal(4L * layers, p.Calls(OpCategory.MatMul));
        Assert.Equal(1L, p.Calls(OpCategory.LmHead));
        Assert.Equal(2L * layers + 1, p.Calls(OpCategory.Norms));
        Assert.Equal(2L * layers, p.Calls(OpCategory.Attention));   // KV store + attention
        Assert.Equal(2L * layers, p.Calls(OpCategory.Rope));        // q and k
        Assert.Equal(1L, p.Calls(OpCategory.Sampling));
        Assert.Equal(1L, p.Calls(OpCategory.Embedding));
        Assert.Equal(0L, p.Calls(OpCategory.Transfer));
        Assert.True(p.Time(OpCategory.MatMul) > TimeSpan.Zero);
        Assert.True(p.Total >= p.Time(OpCategory.MatMul));

        p.Reset();
        Assert.All(OpProfile.Categories, c => Assert.Equal(0L, p.Calls(c)));
        Assert.Equal(TimeSpan.Zero, p.Total);
    }

    private static float[] Logits(LlamaModel model, int[] tokens)
    {
        using var sequence = model.CreateSequence(8);
        var logits = new float[tokens.Length * model.Config.VocabSize];
        sequence.AppendAll(tokens, logits);
        return logits;
    }
}
