using Transformer.Kernels.Tensors;
using Transformer.Loader.Config;

namespace Transformer.Loader.Tests.Support;

/// <summary>A tiny Llama-family model with random weights held in memory, under Hugging Face names.</summary>
public sealed class TinyModel : IWeightSource
{
    private readonly Dictionary<string, HostTensor> _tensors = new(StringComparer.Ordinal);

    public TinyModel(ModelConfig config, int seed = 7)
    {
        Config = config;
        var random = new Random(seed);
        void Add(string name, params int[] shape)
        {
            var values = new float[shape.Aggregate(1, (a, b) => a * b)];
            for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
            _tensors[name] = HostTensor.FromFloats(name, values, shape);
        }
        int h = config.HiddenSize, q = config.QueryWidth, kv = config.KvWidth, f = config.IntermediateSize;
        Add("model.embed_tokens.weight", config.VocabSize, h);
        for (int i = 0; i < config.NumLayers; i++)
        {
            string p = $"model.layers.{i}.";
            Add(p + "input_layernorm.weight", h);
            Add(p + "self_attn.q_proj.weight", q, h);
            Add(p + "self_attn.k_proj.weight", kv, h);
            Add(p + "self_attn.v_proj.weight", kv, h);
            Add(p + "self_attn.o_proj.weight", h, q);
            if (config.AttentionBias)
            {
                Add(p + "self_attn.q_proj.bias", q);
                Add(p + "self_attn.k_proj.bias", kv);
                Add(p + "self_attn.v_proj.bias", kv);
            }
            Add(p + "post_attention_layernorm.weight", h);
            Add(p + "mlp.gate_proj.weight", f, h);
            Add(p + "mlp.up_proj.weight", f, h);
            Add(p + "mlp.down_proj.weight", h, f);
        }
        Add("model.norm.weight", h);
        if (!config.TieWordEmbeddings) Add("lm_head.weight", config.VocabSize, h);
    }

    public ModelConfig Config { get; }

    public static ModelConfig Llama(bool tied = false) => new()
    {
        Architecture = "LlamaForCausalLM", HiddenSize = 64, IntermediateSize = 96, NumLayers = 2, NumHeads = 4, NumKvHeads = 2,
        HeadDim = 16, VocabSize = 40, MaxPositions = 128, RmsNormEps = 1e-5f, RopeTheta = 10000f, TieWordEmbeddings = tied,
    };

    public static ModelConfig Qwen2() => Llama() with
    {
        Architecture = "Qwen2ForCausalLM", AttentionBias = true, OutputProjectionBias = false, RopeTheta = 1_000_000f, RmsNormEps = 1e-6f,
    };

    public string Description => "tiny model";

    public IReadOnlyCollection<HostTensor> Tensors => _tensors.Values;

    public bool TryGet(string name, out HostTensor tensor) => _tensors.TryGetValue(name, out tensor!);

    public void Dispose() { }
}
