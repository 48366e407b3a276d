using Transformer.Runtime.Generation;
using Transformer.Tests.Shared;

namespace Transformer.Runtime.Tests;

/// <summary>The real stories260K model against llama2.c's run.c (third-party) outputs.</summary>
public sealed class Stories260KReferenceTests(ITestOutputHelper output)
{
    // run.c computes in float32 too; 1e-4 leaves room for a different summation order.
    private const float LogitTolerance = 1e-4f;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Logits_match_run_c_at_every_position(bool fromLlama2cCheckpoint)
    {
        using var model = TestModels.Stories260K(fromLlama2cCheckpoint);
        var reference = ReferenceJson.Load(SharedModels.Stories260KFile("reference/logits.json"));
        int[] tokens = ReferenceJson.Ints(reference.GetProperty("token_ids"));
        float[] expected = ReferenceJson.FlatFloats(reference.GetProperty("logits"));

        float[] actual = TestModels.AllLogits(model, tokens);

        float diff = TestModels.MaxAbsDiff(expected, actual);
        output.WriteLine($"{(fromLlama2cCheckpoint ? "stories260K.bin" : "model.safetensors")}: max |diff| over {tokens.Length}x{model.Config.VocabSize} logits = {diff:E3}");
        Assert.True(diff <= LogitTolerance, $"max |diff| {diff} exceeds {LogitTolerance}");
    }

    public static TheoryData<int, bool> GreedyCases()
    {
        var data = new TheoryData<int, bool>();
        for (int i = 0; i < 4; i++)
        {
            data.Add(i, true);
            data.Add(i, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(GreedyCases))]
    public void Greedy_continuations_match_run_c_token_for_token(int caseIndex, bool fromLlama2cCheckpoint)
    {
        using var model = TestModels.Stories260K(fromLlama2cCheckpoint);
        var reference = ReferenceJson.Load(SharedModels.Stories260KFile("reference/greedy.json"))[caseIndex];
        int[] prompt = ReferenceJson.Ints(reference.GetProperty("prompt_token_ids"));
        int[] expected = ReferenceJson.Ints(reference.GetProperty("generated_token_ids"));

        using var sequence = model.CreateSequence();
        var options = new GenerationOptions { MaxNewTokens = expected.Length, Sampling = Sampling.SamplingOptions.Greedy, StopAtEos = false };
        int[] generated = TokenGenerator.Generate(sequence, prompt, options, [], cancellation: TestContext.Current.CancellationToken).ToArray();

        Assert.Equal(expected, generated);
    }
}
