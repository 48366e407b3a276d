using Transformer.Runtime.Generation;
using Transformer.Tests.Shared;

namespace Transformer.Runtime.Tests;

/// <summary>
/// Tiny random models covering what stories260K lacks, against logits from the project's PyTorch
/// reference (tools/reference, itself checked against run.c).
/// </summary>
public sealed class FixtureReferenceTests(ITestOutputHelper output)
{
    private const float LogitTolerance = 1e-4f;

    public static TheoryData<string> Variants() =>
        new("mha", "mqa", "untied", "attention_bias", "llama3_rope", "head_dim", "f16", "bf16", "sharded", "sliding_window", "layer_windows");

    [Theory]
    [MemberData(nameof(Variants))]
    public void Logits_match_the_pytorch_reference(string variant)
    {
        using var model = TestModels.Load(TestModels.Fixture(variant));
        var reference = ReferenceJson.Load(Path.Combine(TestModels.Fixture(variant), "reference.json"));
        int[] tokens = ReferenceJson.Ints(reference.GetProperty("token_ids"));
        float[] expected = ReferenceJson.FlatFloats(reference.GetProperty("logits"));

        float diff = TestModels.MaxAbsDiff(expected, TestModels.AllLogits(model, tokens));

        output.WriteLine($"{variant}: max |diff| = {diff:E3}");
        Assert.True(diff <= LogitTolerance, $"{variant}: max |diff| {diff} exceeds {LogitTolerance}");
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Greedy_continuation_matches_the_pytorch_reference(string variant)
    {
        using var model = TestModels.Load(TestModels.Fixture(variant));
        var greedy = ReferenceJson.Load(Path.Combine(TestModels.Fixture(variant), "reference.json")).GetProperty("greedy");
        int[] prompt = ReferenceJson.Ints(greedy.GetProperty("prompt_ids"));
        int[] expected = ReferenceJson.Ints(greedy.GetProperty("generated_ids"));

        using var sequence = model.CreateSequence();
        var options = new GenerationOptions { MaxNewTokens = expected.Length, Sampling = Sampling.SamplingOptions.Greedy, StopAtEos = false };

        Assert.Equal(expected, TokenGenerator.Generate(sequence, prompt, options, [], cancellation: TestContext.Current.CancellationToken).ToArray());
    }
}
