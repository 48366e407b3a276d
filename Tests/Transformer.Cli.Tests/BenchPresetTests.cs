using Transformer.Kernels.Cpu;
using Transformer.Runtime;
using Transformer.Runtime.Gemma;
using Transformer.Runtime.Phi3;
using Transformer.Runtime.Qwen3;
using Transformer.Runtime.Synthetic;

namespace Transformer.Cli.Tests;

/// <summary>The bench presets of other families are their checkpoints' shapes and build those families' own models.</summary>
public sealed class BenchPresetTests
{
    [Theory]
    [InlineData("qwen3-0.6b", "Qwen3ForCausalLM", 1024, 3072, 28, 16, 8, 128, 151936)]
    [InlineData("gemma3-1b", "Gemma3ForCausalLM", 1152, 6912, 26, 4, 1, 256, 262144)]
    [InlineData("phi3.5-mini", "Phi3ForCausalLM", 3072, 8192, 32, 32, 32, 96, 32064)]
    public void Presets_have_the_shapes_of_their_checkpoints(string preset, string architecture, int hidden, int ffn, int layers, int heads, int kvHeads, int headDim, int vocab)
    {
        var c = SyntheticPresets.Get(preset);

        Assert.Contains(preset, SyntheticPresets.Names);
        Assert.Equal((architecture, hidden, ffn, layers, heads, kvHeads, headDim, vocab),
            (c.Architecture, c.HiddenSize, c.IntermediateSize, c.NumLayers, c.NumHeads, c.NumKvHeads, c.HeadDim, c.VocabSize));
    }

    [Fact]
    public void Family_settings_come_from_the_config_json()
    {
        var gemma = SyntheticPresets.Get("gemma3-1b").Gemma!;
        Assert.Equal(512, gemma.SlidingWindow);
        Assert.Equal(10000f, gemma.LocalRopeTheta);
        Assert.True(gemma.QueryKeyNorm);
        // Five local layers, then a global one.
        Assert.Equal([true, true, true, true, true, false], gemma.SlidingLayers.Take(6));
        Assert.NotNull(SyntheticPresets.Get("phi3.5-mini").LongRope);
        Assert.True(SyntheticPresets.Get("qwen3-0.6b").TieWordEmbeddings);
    }

    [Theory]
    [InlineData("qwen3-0.6b", typeof(Qwen3Model))]
    [InlineData("gemma3-1b", typeof(GemmaModel))]
    [InlineData("phi3.5-mini", typeof(Phi3Model))]
    public void Synthetic_weights_of_a_preset_build_its_family_model(string preset, Type modelType)
    {
        // One layer and a small vocabulary keep the test light; the layer's own shapes are the checkpoint's.
        var config = SyntheticPresets.Get(preset) with { NumLayers = 1, VocabSize = 256, BosTokenId = 1, EosTokenIds = [2] };
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 2 });

        using var model = DecoderModels.Create(config, new SyntheticWeightSource(config), backend, ownsWeights: true);

        Assert.IsType(modelType, model);
        using var sequence = model.CreateSequence(4);
        var logits = new float[4 * config.VocabSize];
        sequence.AppendAll([1, 7, 42, 200], logits);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        Assert.True(logits.Distinct().Count() > 100, "random weights give varied logits");
    }
}
