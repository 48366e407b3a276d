using System.Runtime.InteropServices;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Safetensors;

namespace Transformer.Cli.Tests;

/// <summary>
/// A one-layer Llama safetensors folder (hidden 8, MLP 24, 2 heads, 1 KV head, tok512's vocabulary) whose tensors
/// have the shapes its config implies, but for one given tensor, which is written with 16 rows instead.
/// </summary>
public static class ShapeFixture
{
    private const int Hidden = 8, Intermediate = 24, KvWidth = 4, Vocab = 512;

    public static void WriteWithWrongShape(string folder, string wrongTensor)
    {
        File.WriteAllText(Path.Combine(folder, "config.json"), $$"""
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": {{Hidden}}, "intermediate_size": {{Intermediate}},
             "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": {{Vocab}},
             "max_position_embeddings": 32, "tie_word_embeddings": true}
            """);
        (string Name, int[] Shape)[] tensors =
        [
            ("model.embed_tokens.weight", [Vocab, Hidden]),
            ("model.layers.0.input_layernorm.weight", [Hidden]),
            ("model.layers.0.self_attn.q_proj.weight", [Hidden, Hidden]),
            ("model.layers.0.self_attn.k_proj.weight", [KvWidth, Hidden]),
            ("model.layers.0.self_attn.v_proj.weight", [KvWidth, Hidden]),
            ("model.layers.0.self_attn.o_proj.weight", [Hidden, Hidden]),
            ("model.layers.0.post_attention_layernorm.weight", [Hidden]),
            ("model.layers.0.mlp.gate_proj.weight", [Intermediate, Hidden]),
            ("model.layers.0.mlp.up_proj.weight", [Intermediate, Hidden]),
            ("model.layers.0.mlp.down_proj.weight", [Hidden, Intermediate]),
            ("model.norm.weight", [Hidden]),
        ];
        var written = tensors.Select(t => Tensor(t.Name, t.Name == wrongTensor ? [16, .. t.Shape[1..]] : t.Shape));
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), written.ToList());
    }

    private static HostTensor Tensor(string name, int[] shape)
    {
        var values = new float[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < values.Length; i++) values[i] = MathF.Sin(i + name.Length);
        return new HostTensor(name, DType.F32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
    }
}
