using Transformer.Gpu.Tests.Fixtures;
using Transformer.Gpu.Tests.Support;
using Transformer.Kernels.Backend;
using Transformer.Loader;
using Transformer.Runtime;
using Transformer.Tests.Shared;

namespace Transformer.Gpu.Tests.Models;

/// <summary>
/// Every architecture on the ILGPU backend against llama.cpp's logits for the same random weights (the
/// runtime tests' Fixtures/llamacpp, written by tools/LlamaCppFixtures), in f32 and int8.
/// </summary>
public abstract class ArchitectureFixtureTests(AcceleratorFixture fixture, ITestOutputHelper output)
{
    public static TheoryData<string> Architectures() => new("llama", "qwen3", "smollm3", "phi3", "gemma2", "gemma3");

    [Theory]
    [MemberData(nameof(Architectures))]
    public void F32_logits_match_llama_cpp(string arch)
    {
        var backend = fixture.RequireModelBackend();
        var (directory, tokens, expected) = Fixture(arch);
        var files = ModelFiles.Open(directory);
        using var model = DecoderModels.Create(files.Config, files.Weights, backend, ownsWeights: true);
        // llama.cpp's fp16 GELU table puts Gemma's reference about 1e-3 off (the CPU runtime tests' bound is 5e-3 there).
        PrefillLogits.AssertMatch(model, tokens, expected, output, $"{fixture.Name} {arch} f32", arch.StartsWith("gemma", StringComparison.Ordinal) ? 5e-3f : 1e-3f);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Int8_logits_stay_close_to_llama_cpp(string arch)
    {
        // The CPU runtime tests' bound: int8 rounding of every matrix stays within 2% of the logits' range.
        var backend = fixture.RequireModelBackend();
        var (directory, tokens, expected) = Fixture(arch);
        var files = ModelFiles.Open(directory);
        using var model = DecoderModels.Create(files.Config, files.Weights, backend, new ModelOptions { WeightFormat = WeightFormat.Q8 }, ownsWeights: true);
        int vocab = model.Config.VocabSize;
        using var sequence = model.CreateSequence();
        var actual = new float[tokens.Length * vocab];
        sequence.AppendAll(tokens, actual);

        float diff = 0, bound = 0.02f * (expected.Max() - expected.Min());
        for (int i = 0; i < expected.Length; i++) diff = MathF.Max(diff, MathF.Abs(expected[i] - actual[i]));
        int agree = Enumerable.Range(0, tokens.Length).Count(t => ArgMax(expected, t, vocab) == ArgMax(actual, t, vocab));
        output.WriteLine($"{fixture.Name} {arch} int8: max |Δlogit| against llama.cpp f32 = {diff:E3} (bound {bound:E3}), top-1 {agree}/{tokens.Length}");
        Assert.True(diff <= bound, $"{arch}: int8 max |Δlogit| {diff} exceeds {bound}");
    }

    private static int ArgMax(float[] logits, int row, int vocab)
    {
        var span = logits.AsSpan(row * vocab, vocab);
        int best = 0;
        for (int i = 1; i < span.Length; i++) if (span[i] > span[best]) best = i;
        return best;
    }

    private static (string Directory, int[] Tokens, float[] Logits) Fixture(string arch)
    {
        string directory = Path.Combine(AppContext.BaseDirectory, "RuntimeFixtures", "llamacpp", arch);
        var reference = ReferenceJson.Load(Path.Combine(directory, "reference.json"));
        return (directory, ReferenceJson.Ints(reference.GetProperty("tokens")), ReferenceJson.FlatFloats(reference.GetProperty("logits")));
    }
}

[Collection(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuArchitectureFixtureTests(IlgpuCpuFixture fixture, ITestOutputHelper output) : ArchitectureFixtureTests(fixture, output);

[Collection(nameof(OpenClCollection))]
public sealed class OpenClArchitectureFixtureTests(OpenClFixture fixture, ITestOutputHelper output) : ArchitectureFixtureTests(fixture, output);
