using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Tensors;
using Transformer.Loader;
using Transformer.Runtime.Llama;
using Transformer.Runtime.Synthetic;

namespace Transformer.Runtime.Tests;

/// <summary>Synthetic weights: deterministic, shaped for the config under Hugging Face names, and loadable.</summary>
public sealed class SyntheticWeightTests
{
    [Fact]
    public void The_same_seed_gives_the_same_values_and_another_seed_different_ones()
    {
        var config = SyntheticPresets.Get("tiny");
        using var a = new SyntheticWeightSource(config);
        using var b = new SyntheticWeightSource(config);
        using var c = new SyntheticWeightSource(config, seed: 7);
        const string name = "model.layers.1.mlp.down_proj.weight";

        Assert.Equal(a.Get(name).ToFloat32(), b.Get(name).ToFloat32());
        Assert.NotEqual(a.Get(name).ToFloat32(), c.Get(name).ToFloat32());
        Assert.NotEqual(a.Get(name).ToFloat32(), a.Get("model.layers.0.mlp.down_proj.weight").ToFloat32());
    }

    [Fact]
    public void Matrices_are_uniform_within_one_over_root_k_and_norms_are_one()
    {
        var config = SyntheticPresets.Get("tiny");
        using var source = new SyntheticWeightSource(config);
        var down = source.Get("model.layers.0.mlp.down_proj.weight", config.HiddenSize, config.IntermediateSize).ToFloat32();
        float bound = 1f / MathF.Sqrt(config.IntermediateSize);

        Assert.All(down, v => Assert.InRange(v, -bound, bound));
        // A uniform distribution on ±a has mean 0 and variance a²/3; 8192 samples pin both well.
        double mean = down.Average(v => (double)v), variance = down.Average(v => (double)v * v) - mean * mean;
        Assert.InRange(mean, -0.05 * bound, 0.05 * bound);
        Assert.InRange(variance, 0.9 * bound * bound / 3, 1.1 * bound * bound / 3);
        Assert.All(source.Get("model.norm.weight").ToFloat32(), v => Assert.Equal(1f, v));
        Assert.False(source.TryGet("model.layers.9.mlp.up_proj.weight", out _));
    }

    [Theory]
    [InlineData(DType.BF16)]
    [InlineData(DType.F16)]
    public void Sixteen_bit_matrices_are_the_float32_values_rounded_and_norms_stay_float32(DType type)
    {
        var config = SyntheticPresets.Get("tiny");
        using var wide = new SyntheticWeightSource(config);
        using var narrow = new SyntheticWeightSource(config, matrixType: type);
        const string name = "model.layers.0.self_attn.q_proj.weight";

        var matrix = narrow.Get(name);
        Assert.Equal(type, matrix.Type);
        float[] expected = wide.Get(name).ToFloat32().Select(v => type == DType.BF16
            ? BitConverter.Int32BitsToSingle(BFloat16Conversion.FromSingle(v) << 16)
            : (float)(Half)v).ToArray();
        Assert.Equal(expected, matrix.ToFloat32());
        Assert.Equal(DType.F32, narrow.Get("model.norm.weight").Type);
    }

    [Fact]
    public void Matrices_in_another_dtype_are_an_error_naming_it()
    {
        var error = Assert.Throws<ArgumentException>(() => new SyntheticWeightSource(SyntheticPresets.Get("tiny"), matrixType: DType.I8));
        Assert.Contains("I8", error.Message);
    }

    [Theory]
    [InlineData("stories15m", 288, 6, 6, 6, 768, 32000, false)]
    [InlineData("smollm2-135m", 576, 30, 9, 3, 1536, 49152, true)]
    [InlineData("tinyllama-1.1b", 2048, 22, 32, 4, 5632, 32000, false)]
    public void Presets_have_the_published_shapes(string preset, int hidden, int layers, int heads, int kvHeads, int ffn, int vocab, bool tied)
    {
        var c = SyntheticPresets.Get(preset);
        Assert.Equal((hidden, layers, heads, kvHeads, ffn, vocab, tied),
            (c.HiddenSize, c.NumLayers, c.NumHeads, c.NumKvHeads, c.IntermediateSize, c.VocabSize, c.TieWordEmbeddings));
        Assert.Equal(hidden / heads, c.HeadDim);
        using var source = new SyntheticWeightSource(c);
        Assert.Equal(!tied, source.Names.Contains("lm_head.weight"));
    }

    [Fact]
    public void An_unknown_preset_is_an_error_naming_the_presets()
    {
        var e = Assert.Throws<ArgumentException>(() => SyntheticPresets.Get("gpt-5"));
        Assert.Contains("tinyllama-1.1b", e.Message);
    }

    [Theory]
    [InlineData(WeightFormat.F32)]
    [InlineData(WeightFormat.Q8)]
    public void A_model_loads_from_synthetic_weights_and_computes_finite_logits(WeightFormat format)
    {
        var config = SyntheticPresets.Get("stories15m");
        using var model = new LlamaModel(config, new SyntheticWeightSource(config), new CpuBackend(),
            new ModelOptions { WeightFormat = format }, ownsWeights: true, ownsBackend: true);
        using var sequence = model.CreateSequence(8);
        var logits = new float[config.VocabSize];
        sequence.Append([1, 500, 9000], logits);

        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        Assert.True(logits.Max() > logits.Min(), "logits should not be constant");
    }
}
