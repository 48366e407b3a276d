using Transformer.Kernels.Tensors;
using Transformer.Loader.Safetensors;

namespace Transformer.Fuzz.Targets;

/// <summary>
/// model.safetensors.index.json beside two small valid shards. The shards hold the tensor names of a
/// two-layer Llama split as in Tests/Transformer.Runtime.Tests/Fixtures/sharded (whose index is the seed),
/// so mutations of the index reach the shard lookups rather than stopping at "shard file does not exist".
/// </summary>
internal sealed class ShardedIndexTarget : FuzzTarget
{
    private static readonly Lazy<bool> Shards = new(WriteShards);

    public override string Name => "safetensors-index";

    public override string Description => "ShardedSafetensors.Open on the input as model.safetensors.index.json, beside two shards";

    public override void Run(byte[] input)
    {
        _ = Shards.Value;
        string path = ScratchDirectory.Write(ShardedSafetensors.IndexFileName, input);
        using var sharded = ShardedSafetensors.Open(path);
        TensorViews.ReadAll(sharded);
    }

    private static bool WriteShards()
    {
        string[] projections = ["input_layernorm", "mlp.down_proj", "mlp.gate_proj", "mlp.up_proj", "post_attention_layernorm",
                                "self_attn.k_proj", "self_attn.o_proj", "self_attn.q_proj", "self_attn.v_proj"];
        IEnumerable<string> Layer(int i) => projections.Select(p => $"model.layers.{i}.{p}.weight");
        Write("model-00001-of-00002.safetensors", ["model.embed_tokens.weight", .. Layer(0)]);
        Write("model-00002-of-00002.safetensors", [.. Layer(1), "model.norm.weight"]);
        return true;
    }

    private static void Write(string file, string[] names) =>
        SafetensorsWriter.Write(Path.Combine(ScratchDirectory.Path, file),
            names.Select((name, i) => HostTensor.FromFloats(name, [i, -i], 2)));
}
