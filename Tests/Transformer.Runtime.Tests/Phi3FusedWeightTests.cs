using Transformer.Kernels.Cpu;
using Transformer.Kernels.Tensors;
using Transformer.Loader;

namespace Transformer.Runtime.Tests;

/// <summary>Phi-3's fused projections: a checkpoint that lacks one, or holds one of the wrong size, is named.</summary>
public sealed class Phi3FusedWeightTests
{
    private static string Fixture => TestModels.Fixture(Path.Combine("llamacpp", "phi3"));

    [Fact]
    public void A_missing_fused_projection_is_named_with_what_it_holds()
    {
        using var files = ModelFiles.Open(Fixture);
        using var source = new Hiding(files.Weights, "model.layers.1.mlp.gate_up_proj.weight", replacement: null);
        var error = Assert.Throws<ModelFormatException>(() => DecoderModels.Create(files.Config, source, new CpuBackend()));
        Assert.Contains("missing tensor 'model.layers.1.mlp.gate_up_proj.weight' (phi3 stores mlp.gate_proj.weight as rows of it)", error.Message);
    }

    [Fact]
    public void A_fused_projection_of_the_wrong_height_is_named()
    {
        using var files = ModelFiles.Open(Fixture);
        var qkv = files.Weights.Get("model.layers.0.self_attn.qkv_proj.weight");
        int columns = qkv.Shape[1];
        var shorter = HostTensor.FromFloats(qkv.Name, new float[(qkv.Shape[0] - 1) * columns], qkv.Shape[0] - 1, columns);
        using var source = new Hiding(files.Weights, qkv.Name, shorter);
        var error = Assert.Throws<ModelFormatException>(() => DecoderModels.Create(files.Config, source, new CpuBackend()));
        Assert.Contains($"'{qkv.Name}' has shape [{qkv.Shape[0] - 1}, {columns}], the config implies {qkv.Shape[0]} rows", error.Message);
    }

    /// <summary>The fixture's weights with one tensor removed or replaced.</summary>
    private sealed class Hiding(IWeightSource inner, string name, HostTensor? replacement) : IWeightSource
    {
        public string Description => inner.Description;
        public IReadOnlyCollection<HostTensor> Tensors => inner.Tensors;

        public bool TryGet(string tensorName, out HostTensor tensor)
        {
            if (tensorName != name) return inner.TryGet(tensorName, out tensor);
            tensor = replacement!;
            return replacement is not null;
        }

        public void Dispose() { }
    }
}

/// <summary>The family factory: an architecture without a model is refused with the list of those that have one.</summary>
public sealed class DecoderModelsTests
{
    [Fact]
    public void An_architecture_without_a_model_is_named_with_the_supported_ones()
    {
        using var files = ModelFiles.Open(TestModels.Fixture(Path.Combine("llamacpp", "qwen3")));
        var config = files.Config with { Architecture = "BertModel" };
        var error = Assert.Throws<NotSupportedException>(() => DecoderModels.Create(config, files.Weights, new CpuBackend()));
        Assert.Contains("'BertModel'", error.Message);
        foreach (string supported in new[] { "LlamaForCausalLM", "Qwen3ForCausalLM", "SmolLM3ForCausalLM", "Phi3ForCausalLM", "Gemma2ForCausalLM", "Gemma3ForCausalLM" })
            Assert.Contains(supported, error.Message);
    }
}
