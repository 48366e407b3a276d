using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime.Bert;
using Transformer.Tests.Shared;

namespace Transformer.Runtime.Tests;

/// <summary>
/// The BERT encoder against the PyTorch reference (tools/reference/bert_reference.py) on the tiny random fixture:
/// the reference ran the sequences as one padded batch with an attention mask; ours packs them without padding.
/// </summary>
public sealed class BertReferenceTests
{
    private const float Bound = 1e-4f;

    internal static string FixturePath => TestModels.Fixture("bert");

    internal sealed record Case(int[] Tokens, int[] Types, float[] States, System.Text.Json.JsonElement Pooled);

    internal static IReadOnlyList<Case> Cases() =>
        ReferenceJson.Load(Path.Combine(FixturePath, "reference.json")).GetProperty("cases").EnumerateArray()
            .Select(c => new Case(ReferenceJson.Ints(c.GetProperty("token_ids")), ReferenceJson.Ints(c.GetProperty("token_types")),
                ReferenceJson.FlatFloats(c.GetProperty("last_hidden_state")), c.GetProperty("pooled")))
            .ToArray();

    internal static BertModel Load(CpuIsa? isa = null, WeightFormat format = WeightFormat.F32)
    {
        var files = EncoderFiles.Open(FixturePath);
        return new BertModel((BertConfig)files.Config, files.Weights, new CpuBackend(new CpuBackendOptions { Threads = 2, Isa = isa }),
            new ModelOptions { WeightFormat = format }, ownsWeights: true, ownsBackend: true);
    }

    public static TheoryData<CpuIsa> Paths() => new(CpuIsa.Scalar, CpuIsaSelection.Resolve(null, null));

    [Theory]
    [MemberData(nameof(Paths))]
    public void Packed_batch_matches_the_masked_padded_pytorch_batch(CpuIsa isa)
    {
        var cases = Cases();
        using var model = Load(isa);
        float[] states = model.Encode(cases.Select(c => (IReadOnlyList<int>)c.Tokens).ToArray(), cases.Select(c => (IReadOnlyList<int>)c.Types).ToArray());
        float[] expected = cases.SelectMany(c => c.States).ToArray();
        float worst = MaxDifference(states, expected);
        Assert.True(worst <= Bound, $"max |Δ| {worst:g3} vs PyTorch > {Bound:g1} ({isa})");
    }

    [Fact]
    public void A_sequence_alone_gives_what_it_gives_in_a_batch()
    {
        var cases = Cases();
        using var model = Load();
        float[] batch = model.Encode(cases.Select(c => (IReadOnlyList<int>)c.Tokens).ToArray(), cases.Select(c => (IReadOnlyList<int>)c.Types).ToArray());
        int offset = 0;
        foreach (var c in cases)
        {
            float[] alone = model.Encode([c.Tokens], [c.Types]);
            Assert.Equal(batch.AsSpan(offset, alone.Length).ToArray(), alone);
            offset += alone.Length;
        }
    }

    [Fact]
    public void Token_types_change_the_result()
    {
        var pair = Cases()[^1];
        using var model = Load();
        Assert.True(MaxDifference(model.Encode([pair.Tokens]), pair.States) > 1e-2, "token types 1 should differ from all 0");
    }

    [Fact]
    public void Int8_weights_keep_every_token_state_pointing_the_same_way()
    {
        var cases = Cases();
        using var model = Load(format: WeightFormat.Q8);
        Assert.Equal(WeightFormat.Q8, model.Weights.Layers[0].Query.Weight.Format);
        float[] states = model.Encode(cases.Select(c => (IReadOnlyList<int>)c.Tokens).ToArray(), cases.Select(c => (IReadOnlyList<int>)c.Types).ToArray());
        float[] expected = cases.SelectMany(c => c.States).ToArray();
        int hidden = model.HiddenSize;
        double worst = Enumerable.Range(0, states.Length / hidden).Min(t =>
            System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(states.AsSpan(t * hidden, hidden), expected.AsSpan(t * hidden, hidden)));
        Assert.True(worst >= 0.99, $"int8: lowest per-token cosine {worst:f5} vs PyTorch f32");
        Assert.True(MaxDifference(states, expected) > Bound, "int8 should differ from f32 at all");
    }

    [Fact]
    public void Bad_input_is_refused_by_name()
    {
        using var model = Load();
        Assert.Contains("outside the vocabulary of 100", Assert.Throws<ArgumentException>(() => model.Encode([[2, 100, 3]])).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => model.Encode([Array.Empty<int>()])).Message);
        Assert.Contains("outside the model's 2 types", Assert.Throws<ArgumentException>(() => model.Encode([[2, 3]], [[0, 2]])).Message);
        Assert.Throws<ContextOverflowException>(() => model.Encode([Enumerable.Repeat(5, 65).ToArray()]));
    }

    [Fact]
    public void The_decoder_loader_says_a_bert_folder_is_an_encoder()
    {
        var error = Assert.Throws<ModelFormatException>(() => ModelFiles.Open(FixturePath));
        Assert.Contains("encoder", error.Message);
        Assert.True(BertConfigReader.IsBertFolder(FixturePath));
        Assert.False(BertConfigReader.IsBertFolder(TestModels.Fixture("mha")));
    }

    internal static float MaxDifference(float[] actual, float[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = 0;
        for (int i = 0; i < actual.Length; i++) worst = MathF.Max(worst, MathF.Abs(actual[i] - expected[i]));
        return worst;
    }
}
