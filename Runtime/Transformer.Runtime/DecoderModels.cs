using Transformer.Kernels.Backend;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime.Gemma;
using Transformer.Runtime.Llama;
using Transformer.Runtime.Phi3;
using Transformer.Runtime.Qwen3;
using Transformer.Runtime.SmolLM3;

namespace Transformer.Runtime;

/// <summary>
/// Builds the model class of a config's family: the one place that maps an architecture to its code,
/// so the CLI, the server and the text API load any supported family the same way.
/// </summary>
public static class DecoderModels
{
    private delegate DecoderModel Factory(ModelConfig config, IWeightSource weights, IBackend backend, ModelOptions? options, bool ownsWeights, bool ownsBackend);

    // Keyed by ModelConfig.Architecture (config.json's architectures[0], or what the loader implies for other formats).
    private static readonly Dictionary<string, Factory> s_families = new(StringComparer.Ordinal)
    {
        ["LlamaForCausalLM"] = (c, w, b, o, ow, ob) => new LlamaModel(c, w, b, o, ow, ob),
        ["MistralForCausalLM"] = (c, w, b, o, ow, ob) => new LlamaModel(c, w, b, o, ow, ob),
        ["Qwen2ForCausalLM"] = (c, w, b, o, ow, ob) => new LlamaModel(c, w, b, o, ow, ob),
        ["Qwen3ForCausalLM"] = (c, w, b, o, ow, ob) => new Qwen3Model(c, w, b, o, ow, ob),
        ["SmolLM3ForCausalLM"] = (c, w, b, o, ow, ob) => new SmolLM3Model(c, w, b, o, ow, ob),
        ["Phi3ForCausalLM"] = (c, w, b, o, ow, ob) => new Phi3Model(c, w, b, o, ow, ob),
        ["Gemma2ForCausalLM"] = (c, w, b, o, ow, ob) => new GemmaModel(c, w, b, o, ow, ob),
        ["Gemma3ForCausalLM"] = (c, w, b, o, ow, ob) => new GemmaModel(c, w, b, o, ow, ob),
    };

    /// <summary>Architectures this engine has a model for.</summary>
    public static IReadOnlyCollection<string> SupportedArchitectures => s_families.Keys;

    /// <summary>
    /// Prepares <paramref name="weights"/> on <paramref name="backend"/> as the model of
    /// <paramref name="config"/>'s family. The model disposes the weight source and the backend when it owns
    /// them; when this throws, it owns nothing and the caller still does.
    /// </summary>
    /// <exception cref="NotSupportedException">No model is written for the config's architecture.</exception>
    public static DecoderModel Create(ModelConfig config, IWeightSource weights, IBackend backend, ModelOptions? options = null,
        bool ownsWeights = false, bool ownsBackend = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!s_families.TryGetValue(config.Architecture, out var create))
            throw new NotSupportedException($"no model is written for architecture '{config.Architecture}'; supported: {string.Join(", ", SupportedArchitectures)}");
        return create(config, weights, backend, options, ownsWeights, ownsBackend);
    }
}
