using Transformer.Gpu.Tests.Fixtures;
using Transformer.Gpu.Tests.Support;
using Transformer.Loader;
using Transformer.Runtime.Llama;
using Transformer.Tests.Shared;

namespace Transformer.Gpu.Tests.Models;

/// <summary>
/// Models stored as F16 and BF16 on the ILGPU backend: the tiny fixtures of the runtime tests against
/// their PyTorch reference logits (the CPU backend keeps these weights 16-bit; the GPU backend must
/// still take them as they come from the file).
/// </summary>
public abstract class HalfFixtureTests(AcceleratorFixture fixture, ITestOutputHelper output)
{
    [Theory]
    [InlineData("f16")]
    [InlineData("bf16")]
    public void Logits_match_the_pytorch_reference(string variant)
    {
        var backend = fixture.RequireModelBackend();
        string directory = Path.Combine(AppContext.BaseDirectory, "RuntimeFixtures", variant);
        var reference = ReferenceJson.Load(Path.Combine(directory, "reference.json"));
        int[] tokens = ReferenceJson.Ints(reference.GetProperty("token_ids"));
        float[] expected = ReferenceJson.FlatFloats(reference.GetProperty("logits"));

        var files = ModelFiles.Open(directory);
        using var model = new LlamaModel(files.Config, files.Weights, backend, ownsWeights: true);
        PrefillLogits.AssertMatch(model, tokens, expected, output, $"{fixture.Name} {variant}");
    }
}

[Collection(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuHalfFixtureTests(IlgpuCpuFixture fixture, ITestOutputHelper output) : HalfFixtureTests(fixture, output);

[Collection(nameof(OpenClCollection))]
public sealed class OpenClHalfFixtureTests(OpenClFixture fixture, ITestOutputHelper output) : HalfFixtureTests(fixture, output);
