using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime.Embeddings;
using Transformer.Runtime.NomicBert;
using Transformer.Tests.Shared;

namespace Transformer.Runtime.Tests;

/// <summary>
/// The nomic-bert encoder against the PyTorch reference (tools/reference/nomic_bert_reference.py) on the tiny random
/// fixture (Fixtures/nomic-bert): the reference ran the sequences as one padded batch with an attention mask, ours packs
/// them, so each sentence's rotary positions restart at 0 and its attention stays inside it.
/// </summary>
public sealed class NomicBertReferenceTests(ITestOutputHelper output)
{
    private const float Bound = 1e-4f;

    private static string FixturePath => TestModels.Fixture("nomic-bert");

    private static IReadOnlyList<BertReferenceTests.Case> Cases() =>
        ReferenceJson.Load(Path.Combine(FixturePath, "reference.json")).GetProperty("cases").EnumerateArray()
            .Select(c => new BertReferenceTests.Case(ReferenceJson.Ints(c.GetProperty("token_ids")), ReferenceJson.Ints(c.GetProperty("token_types")),
                ReferenceJson.FlatFloats(c.GetProperty("last_hidden_state")), c.GetProperty("pooled")))
            .ToArray();

    internal static EncoderModel Load(CpuIsa? isa = null, WeightFormat format = WeightFormat.F32)
    {
        var files = EncoderFiles.Open(FixturePath);
        return EncoderModel.Create(files.Config, files.Weights, new CpuBackend(new CpuBackendOptions { Threads = 2, Isa = isa }),
            new ModelOptions { WeightFormat = format }, ownsWeights: true, ownsBackend: true);
    }

    /// <summary>Scalar, AVX2 where the CPU has it (below the AVX-512 this machine resolves to), and the resolved path.</summary>
    public static TheoryData<CpuIsa> Paths()
    {
        var paths = new TheoryData<CpuIsa> { CpuIsa.Scalar };
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported) paths.Add(CpuIsa.Avx2);
        var resolved = CpuIsaSelection.Resolve(null, null);
        if (resolved is not CpuIsa.Scalar and not CpuIsa.Avx2) paths.Add(resolved);
        return paths;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Packed_batch_matches_the_masked_padded_pytorch_batch(CpuIsa isa)
    {
        var cases = Cases();
        using var model = Load(isa);
        Assert.IsType<NomicBertModel>(model);
        float[] states = model.Encode(cases.Select(c => (IReadOnlyList<int>)c.Tokens).ToArray(), cases.Select(c => (IReadOnlyList<int>)c.Types).ToArray());
        float worst = BertReferenceTests.MaxDifference(states, cases.SelectMany(c => c.States).ToArray());
        output.WriteLine($"nomic-bert ({isa}) vs PyTorch: max |Δ| {worst:E3}");
        Assert.True(worst <= Bound, $"max |Δ| {worst:g3} vs PyTorch > {Bound:g1} ({isa})");
    }

    [Fact]
    public void Sentence_vectors_follow_the_folders_pooling()
    {
        // modules.json: Pooling (mean) then Normalize, so the vector is the reference's mean_normalized.
        var cases = Cases();
        var pooling = EmbeddingPooling.Read(FixturePath);
        Assert.Equal(new EmbeddingPooling(PoolingMode.Mean, Normalize: true), pooling);
        using var model = Load();
        foreach (var c in cases)
        {
            float[] vector = EmbeddingPooler.Pool(model.Encode([c.Tokens], [c.Types]), model.HiddenSize, pooling);
            float[] expected = c.Pooled.GetProperty("mean_normalized").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.True(BertReferenceTests.MaxDifference(vector, expected) <= Bound);
        }
    }

    [Fact]
    public void Int8_weights_keep_every_token_state_pointing_the_same_way()
    {
        var cases = Cases();
        using var model = Load(format: WeightFormat.Q8);
        float[] states = model.Encode(cases.Select(c => (IReadOnlyList<int>)c.Tokens).ToArray(), cases.Select(c => (IReadOnlyList<int>)c.Types).ToArray());
        float[] expected = cases.SelectMany(c => c.States).ToArray();
        int hidden = model.HiddenSize;
        double worst = Enumerable.Range(0, states.Length / hidden).Min(t =>
            System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(states.AsSpan(t * hidden, hidden), expected.AsSpan(t * hidden, hidden)));
        Assert.True(worst >= 0.99, $"int8: lowest per-token cosine {worst:f5} vs PyTorch f32");
        Assert.True(BertReferenceTests.MaxDifference(states, expected) > Bound, "int8 should differ from f32 at all");
    }

    [Fact]
    public void Positions_matter_through_the_rotation()
    {
        // The same ids reversed are not the reversed states: without RoPE attention would be order-blind.
        using var model = Load();
        int[] ids = [2, 40, 41, 42, 43, 3];
        float[] forward = model.Encode([ids]), backward = model.Encode([ids.Reverse().ToArray()]);
        int hidden = model.HiddenSize;
        float[] reversedBack = Enumerable.Range(0, ids.Length).Reverse().SelectMany(t => backward.AsSpan(t * hidden, hidden).ToArray()).ToArray();
        Assert.True(BertReferenceTests.MaxDifference(forward, reversedBack) > 1e-2);
    }

    [Theory]
    [InlineData("\"activation_function\": \"gelu\"", "activation_function 'gelu' is not supported for nomic_bert")]
    [InlineData("\"prenorm\": true", "prenorm true")]
    [InlineData("\"rotary_emb_interleaved\": true", "rotary_emb_interleaved true")]
    [InlineData("\"rotary_scaling_factor\": 2", "rotary_scaling_factor")]
    [InlineData("\"n_head\": 5", "n_embd (32) is not divisible by n_head (5)")]
    [InlineData("\"rotary_emb_fraction\": 0", "rotary_emb_fraction must be in (0, 1]")]
    public void Unsupported_or_inconsistent_configs_are_refused_by_name(string field, string message)
    {
        string json = $$"""{"model_type": "nomic_bert", "n_embd": 32, "n_inner": 48, "n_layer": 1, "n_head": 4, "vocab_size": 10, {{field}}}""";
        // A duplicate key is refused by the strict parser, so the defaults above leave out what the cases set.
        json = json.Replace("\"n_head\": 4, \"vocab_size\": 10, \"n_head\": 5", "\"vocab_size\": 10, \"n_head\": 5", StringComparison.Ordinal);
        var error = Assert.Throws<ModelFormatException>(() => EncoderConfigReader.Parse(json, "config.json"));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Missing_fused_weights_are_named()
    {
        using var files = EncoderFiles.Open(FixturePath);
        var config = Assert.IsType<NomicBertConfig>(files.Config) with { NumLayers = 3 };
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 1 });
        var error = Assert.Throws<ModelFormatException>(() => new NomicBertModel(config, files.Weights, backend));
        Assert.Contains("encoder.layers.2.attn.Wqkv.weight", error.Message);
    }

    [Fact]
    public void The_decoder_loader_says_a_nomic_bert_folder_is_an_encoder()
    {
        var error = Assert.Throws<ModelFormatException>(() => ModelFiles.Open(FixturePath));
        Assert.Contains("'nomic_bert' is an encoder", error.Message);
        Assert.True(EncoderConfigReader.IsEncoderFolder(FixturePath));
    }
}
