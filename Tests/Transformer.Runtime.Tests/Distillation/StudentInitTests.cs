using Transformer.Kernels.Cpu;
using Transformer.Loader.Config;
using Transformer.Runtime.Distillation;
using Transformer.Runtime.Pruning;

namespace Transformer.Runtime.Tests.Distillation;

/// <summary>
/// Student presets and random initialisation: every preset's config is read by the model reader with the teacher's
/// vocabulary, random weights are seeded, counter-based and N(0, 0.02²), and a mismatching vocabulary is refused.
/// </summary>
public sealed class StudentInitTests
{
    // A teacher with an unusual vocabulary and special ids, so a preset that kept its own would show.
    private static readonly ModelConfig s_teacher = new()
    {
        Architecture = "LlamaForCausalLM", HiddenSize = 64, IntermediateSize = 172, NumLayers = 5, NumHeads = 8, NumKvHeads = 4, HeadDim = 8,
        VocabSize = 777, MaxPositions = 512, RopeTheta = 10000f, TieWordEmbeddings = true, BosTokenId = 5, EosTokenIds = [6, 7],
    };

    // The published checkpoints' shapes: (layers, hidden, ffn, heads, kv heads, head_dim, tied, architecture).
    public static TheoryData<string, int, int, int, int, int, int, bool, string> Shapes => new()
    {
        { "mobilellm-125m", 30, 576, 1536, 9, 3, 64, true, "LlamaForCausalLM" },
        { "smollm2-135m", 30, 576, 1536, 9, 3, 64, true, "LlamaForCausalLM" },
        { "mobilellm-350m", 32, 960, 2560, 15, 5, 64, true, "LlamaForCausalLM" },
        { "smollm2-360m", 32, 960, 2560, 15, 5, 64, true, "LlamaForCausalLM" },
        { "qwen2.5-0.5b", 24, 896, 4864, 14, 2, 64, true, "Qwen2ForCausalLM" },
        { "llama-3.2-1b", 16, 2048, 8192, 32, 8, 64, true, "LlamaForCausalLM" },
        { "tinyllama-1.1b", 22, 2048, 5632, 32, 4, 64, false, "LlamaForCausalLM" },
        { "tiny", 2, 64, 128, 8, 4, 8, true, "LlamaForCausalLM" },
        { "tiny-untied", 2, 64, 128, 8, 4, 8, false, "LlamaForCausalLM" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_preset_loads_with_the_teachers_vocabulary(string preset, int layers, int hidden, int ffn, int heads, int kvHeads, int headDim, bool tied, string architecture)
    {
        var c = HuggingFaceConfig.Parse(StudentConfig.FromPreset(preset, s_teacher), preset);
        Assert.Equal((layers, hidden, ffn, heads, kvHeads, headDim, tied, architecture),
            (c.NumLayers, c.HiddenSize, c.IntermediateSize, c.NumHeads, c.NumKvHeads, c.HeadDim, c.TieWordEmbeddings, c.Architecture));
        Assert.Equal((777, 5), (c.VocabSize, c.BosTokenId));
        Assert.Equal([6, 7], c.EosTokenIds);
    }

    [Fact]
    public void The_preset_list_names_every_preset_and_an_unknown_name_lists_them()
    {
        Assert.Equal(Shapes.Select(row => row.Data.Item1).Order(), StudentPresets.Names.Order());
        var e = Assert.Throws<ArgumentException>(() => StudentPresets.ConfigJson("gpt-5"));
        Assert.Contains("no student preset named 'gpt-5'", e.Message);
        Assert.Contains("mobilellm-125m", e.Message);
    }

    [Fact]
    public void Llama_3_2_keeps_its_rope_scaling_and_qwen_its_biases()
    {
        var llama = HuggingFaceConfig.Parse(StudentConfig.FromPreset("llama-3.2-1b", s_teacher), "llama");
        Assert.NotNull(llama.RopeScaling);
        var qwen = HuggingFaceConfig.Parse(StudentConfig.FromPreset("qwen2.5-0.5b", s_teacher), "qwen");
        Assert.True(qwen.AttentionBias);
        Assert.Contains(RandomInit.Create(Tiny("qwen2.5-0.5b"), 1), t => t.Name == "model.layers.0.self_attn.q_proj.bias");
    }

    [Fact]
    public void A_config_file_with_another_vocabulary_is_refused_naming_both_sizes()
    {
        string json = StudentPresets.ConfigJson("tiny").Replace("\"hidden_size\"", "\"vocab_size\": 32000, \"hidden_size\"", StringComparison.Ordinal);
        var e = Assert.Throws<ArgumentException>(() => StudentConfig.FromFile(json, "student.json", s_teacher));
        Assert.Contains("vocab_size 32000", e.Message);
        Assert.Contains("777", e.Message);
        var missing = Assert.Throws<ArgumentException>(() => StudentConfig.FromFile(StudentPresets.ConfigJson("tiny"), "student.json", s_teacher));
        Assert.Contains("no vocab_size", missing.Message);
        string same = json.Replace("32000", "777", StringComparison.Ordinal);
        Assert.Equal(777, HuggingFaceConfig.Parse(StudentConfig.FromFile(same, "student.json", s_teacher), "s").VocabSize);
    }

    [Fact]
    public void Random_weights_are_seeded_and_another_seed_gives_others()
    {
        var config = Tiny("tiny-untied");
        var a = RandomInit.Create(config, 42);
        var b = RandomInit.Create(config, 42);
        var c = RandomInit.Create(config, 43);
        Assert.Equal(a.Select(t => t.Name), b.Select(t => t.Name));
        for (int i = 0; i < a.Count; i++) Assert.Equal(a[i].ToFloat32(), b[i].ToFloat32());
        Assert.NotEqual(a[0].ToFloat32(), c[0].ToFloat32());
        // Two matrices of one model differ: each tensor has its own stream.
        var q = a.Single(t => t.Name == "model.layers.0.self_attn.q_proj.weight").ToFloat32();
        var o = a.Single(t => t.Name == "model.layers.0.self_attn.o_proj.weight").ToFloat32();
        Assert.NotEqual(q, o);
    }

    [Fact]
    public void Random_matrices_are_normal_with_std_0_02_norms_one_and_biases_zero()
    {
        var config = Tiny("qwen2.5-0.5b");
        var tensors = RandomInit.Create(config, 9);
        // Every matrix pooled (the tiny shape has ~100k entries): the sample std within 1.5 %, the mean within 3 standard errors,
        // and the fraction within one std that of a normal (68.3 %).
        var matrices = tensors.Where(t => t.Shape.Count == 2).SelectMany(t => t.ToFloat32()).Select(v => (double)v).ToArray();
        double mean = matrices.Average(), std = Math.Sqrt(matrices.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(std, 0.02 * 0.985, 0.02 * 1.015);
        Assert.InRange(mean, -3 * 0.02 / Math.Sqrt(matrices.Length), 3 * 0.02 / Math.Sqrt(matrices.Length));
        Assert.InRange(matrices.Count(v => Math.Abs(v) < 0.02) / (double)matrices.Length, 0.673, 0.693);
        Assert.All(tensors.Where(t => t.Name.EndsWith("norm.weight", StringComparison.Ordinal)).SelectMany(t => t.ToFloat32()), v => Assert.Equal(1f, v));
        Assert.All(tensors.Where(t => t.Name.EndsWith(".bias", StringComparison.Ordinal)).SelectMany(t => t.ToFloat32()), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void A_random_student_loads_and_gives_finite_near_uniform_logits()
    {
        var config = Tiny("tiny-untied");
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 1 });
        using var model = DecoderModels.Create(config, new TensorList("random student", RandomInit.Create(config, 1)), backend);
        using var sequence = model.CreateSequence(8);
        var logits = new float[4 * config.VocabSize];
        sequence.AppendAll([5, 10, 20, 30], logits);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        // Small weights: the logits stay near 0, so the first distribution is close to uniform over the vocabulary.
        Assert.True(logits.Max(Math.Abs) < 1, $"largest |logit| {logits.Max(Math.Abs)}");
    }

    // A preset's layout (biases, tying) at the tiny test size, with the teacher's vocabulary.
    private static ModelConfig Tiny(string preset)
    {
        var shape = HuggingFaceConfig.Parse(StudentConfig.FromPreset(preset, s_teacher), preset);
        return shape with { HiddenSize = 64, IntermediateSize = 96, NumLayers = 2, NumHeads = 4, NumKvHeads = 2, HeadDim = 16 };
    }
}
