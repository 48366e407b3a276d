using Transformer.Loader.Config;
using Transformer.Runtime.Embeddings;
using Transformer.Tests.Shared;

namespace Transformer.Runtime.Tests;

/// <summary>
/// Encoders against llama.cpp's embeddings mode on the same weights: Fixtures/llamacpp/ARCH/reference.json holds
/// llama.cpp's last hidden states (pooling none) and mean poolings for the token ids of the PyTorch fixture
/// Fixtures/ARCH, whose weights it ran as an F32 GGUF (tools/LlamaCppFixtures). llama.cpp's CPU GELU reads an fp16
/// table, so BERT agrees to the 5e-3 here (and to 1e-4 with the PyTorch reference, BertReferenceTests);
/// nomic-bert (SwiGLU) to 1e-4.
/// </summary>
public sealed class EncoderLlamaCppReferenceTests(ITestOutputHelper output)
{
    private const float GeluTableBound = 5e-3f;

    private sealed record Case(int[] Tokens, float[] States, float[] Mean);

    private static IReadOnlyList<Case> Cases(string arch) =>
        ReferenceJson.Load(Path.Combine(TestModels.Fixture(Path.Combine("llamacpp", arch)), "reference.json")).GetProperty("cases").EnumerateArray()
            .Select(c => new Case(ReferenceJson.Ints(c.GetProperty("token_ids")), ReferenceJson.FlatFloats(c.GetProperty("last_hidden_state")),
                c.GetProperty("mean").EnumerateArray().Select(e => e.GetSingle()).ToArray()))
            .ToArray();

    /// <summary>nomic-bert's MLP is SwiGLU, so llama.cpp computes it in float32 throughout: the 1e-4.</summary>
    private const float F32Bound = 1e-4f;

    public static TheoryData<string> Encoders() => new("bert", "nomic-bert");

    private static float Bound(string arch) => arch == "bert" ? GeluTableBound : F32Bound;

    private static Embeddings.EncoderModel Load(string arch) => arch == "bert" ? BertReferenceTests.Load() : NomicBertReferenceTests.Load();

    [Theory]
    [MemberData(nameof(Encoders))]
    public void States_and_mean_pooling_match_llama_cpp(string arch)
    {
        var cases = Cases(arch);
        Assert.NotEmpty(cases);
        using var model = Load(arch);
        float worstState = 0, worstMean = 0;
        foreach (var c in cases)
        {
            float[] states = model.Encode([c.Tokens]);
            worstState = MathF.Max(worstState, BertReferenceTests.MaxDifference(states, c.States));
            float[] mean = EmbeddingPooler.Pool(states, model.HiddenSize, new EmbeddingPooling(PoolingMode.Mean, Normalize: false));
            worstMean = MathF.Max(worstMean, BertReferenceTests.MaxDifference(mean, c.Mean));
        }
        output.WriteLine($"{arch} vs llama.cpp over {cases.Count} sequences: states max |Δ| {worstState:E3}, mean pooling max |Δ| {worstMean:E3}");
        Assert.True(worstState <= Bound(arch), $"{arch}: states max |Δ| {worstState} vs llama.cpp exceeds {Bound(arch)}");
        Assert.True(worstMean <= Bound(arch), $"{arch}: mean pooling max |Δ| {worstMean} vs llama.cpp exceeds {Bound(arch)}");
    }
}
