using Transformer.Gpu.Tests.Fixtures;
using Transformer.Gpu.Tests.Support;
using Transformer.Kernels.Gpu;
using Transformer.Loader;
using Transformer.Runtime.Generation;
using Transformer.Runtime.Llama;
using Transformer.Runtime.Sampling;
using Transformer.Tests.Shared;

namespace Transformer.Gpu.Tests.Models;

/// <summary>
/// The real stories260K model on the ILGPU backend against llama2.c run.c's outputs
/// (../shared/models/stories260K/reference): logits of a batched prefill, and greedy continuations
/// decoded one token at a time with argmax on the device.
/// </summary>
public abstract class Stories260KTests(AcceleratorFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public void PrefillLogitsMatchRunCAtEveryPosition()
    {
        var backend = fixture.RequireModelBackend();
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        var reference = ReferenceJson.Load(SharedModels.Stories260KFile("reference/logits.json"));
        int[] tokens = ReferenceJson.Ints(reference.GetProperty("token_ids"));
        float[] expected = ReferenceJson.FlatFloats(reference.GetProperty("logits"));

        using var model = Load(backend);
        PrefillLogits.AssertMatch(model, tokens, expected, output, fixture.Name);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void GreedyContinuationMatchesRunCTokenForToken(int caseIndex)
    {
        var backend = fixture.RequireModelBackend();
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        var reference = ReferenceJson.Load(SharedModels.Stories260KFile("reference/greedy.json"))[caseIndex];
        int[] prompt = ReferenceJson.Ints(reference.GetProperty("prompt_token_ids"));
        int[] expected = ReferenceJson.Ints(reference.GetProperty("generated_token_ids"));

        using var model = Load(backend);
        using var sequence = model.CreateSequence();
        var options = new GenerationOptions { MaxNewTokens = expected.Length, Sampling = SamplingOptions.Greedy, StopAtEos = false };
        int[] generated = TokenGenerator.Generate(sequence, prompt, options, [], cancellation: TestContext.Current.CancellationToken).ToArray();

        Assert.Equal(expected, generated);
    }

    private static LlamaModel Load(IlgpuBackend backend)
    {
        var files = ModelFiles.Open(SharedModels.Stories260K);
        return new LlamaModel(files.Config, files.Weights, backend, ownsWeights: true);
    }
}

[Collection(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuStories260KTests(IlgpuCpuFixture fixture, ITestOutputHelper output) : Stories260KTests(fixture, output);

[Collection(nameof(OpenClCollection))]
public sealed class OpenClStories260KTests(OpenClFixture fixture, ITestOutputHelper output) : Stories260KTests(fixture, output);
