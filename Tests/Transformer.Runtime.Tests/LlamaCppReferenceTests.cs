using Transformer.Kernels.Backend;
using Transformer.Runtime.Generation;
using Transformer.Tests.Shared;

namespace Transformer.Runtime.Tests;

/// <summary>
/// Each architecture against llama.cpp on the same random weights: Fixtures/llamacpp/ARCH holds the weights
/// as safetensors (loaded here the way the CLI loads a model) and llama.cpp's logits for them, written by
/// tools/LlamaCppFixtures from an F32 GGUF of the same values (flash attention off, F32 KV cache).
/// </summary>
public sealed class LlamaCppReferenceTests(ITestOutputHelper output)
{
    /// <summary>The bound where llama.cpp computes in float32 throughout.</summary>
    private const float F32Tolerance = 1e-4f;

    /// <summary>
    /// Gemma's bound: llama.cpp's CPU GELU reads an fp16 table (about 1e-3 off), so the two engines agree to the
    /// issue's 5e-3 there, not to 1e-4.
    /// </summary>
    private const float GeluTableTolerance = 5e-3f;

    public static TheoryData<string> Architectures() => new("llama", "qwen3", "smollm3", "phi3", "gemma2", "gemma3");

    private static float Tolerance(string arch) => arch.StartsWith("gemma", StringComparison.Ordinal) ? GeluTableTolerance : F32Tolerance;

    private static string Fixture(string arch) => TestModels.Fixture(Path.Combine("llamacpp", arch));

    private static (int[] Tokens, float[] Logits) Reference(string arch)
    {
        var reference = ReferenceJson.Load(Path.Combine(Fixture(arch), "reference.json"));
        return (ReferenceJson.Ints(reference.GetProperty("tokens")), ReferenceJson.FlatFloats(reference.GetProperty("logits")));
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void F32_logits_match_llama_cpp(string arch)
    {
        var (tokens, expected) = Reference(arch);
        using var model = TestModels.LoadFamily(Fixture(arch));

        float diff = TestModels.MaxAbsDiff(expected, TestModels.AllLogits(model, tokens));

        output.WriteLine($"{arch} ({model.GetType().Name}), f32: max |Δlogit| against llama.cpp = {diff:E3} over {expected.Length} logits");
        Assert.True(diff <= Tolerance(arch), $"{arch}: max |Δlogit| {diff} exceeds {Tolerance(arch)}");
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Logits_do_not_depend_on_chunking_or_decode(string arch)
    {
        // Prefill in chunks of 5 then decode one by one: the same step through the paged pool the scheduler drives.
        var (tokens, expected) = Reference(arch);
        using var model = TestModels.LoadFamily(Fixture(arch), new ModelOptions { PrefillChunk = 5, KvBlockSize = 4 });
        int vocab = model.Config.VocabSize;
        using var sequence = model.CreateSequence();
        var actual = new float[tokens.Length * vocab];
        sequence.AppendAll(tokens.AsSpan(0, 7), actual.AsSpan(0, 7 * vocab));
        for (int i = 7; i < tokens.Length; i++) sequence.Append(tokens.AsSpan(i, 1), actual.AsSpan(i * vocab, vocab));

        float diff = TestModels.MaxAbsDiff(expected, actual);
        output.WriteLine($"{arch}: chunked prefill + decode, max |Δlogit| against llama.cpp = {diff:E3}");
        Assert.True(diff <= Tolerance(arch), $"{arch}: max |Δlogit| {diff} exceeds {Tolerance(arch)}");
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Int8_logits_stay_close_to_llama_cpp(string arch)
    {
        // int8 weights (Q8 blocks of 32 along K) against llama.cpp's f32: within 2% of the logits' range (what
        // int8 rounding of every matrix, the tied classifier included, implies at this size). Top-1 agreement is
        // reported, not asserted: random weights leave near ties that any rounding may flip.
        var (tokens, expected) = Reference(arch);
        using var model = TestModels.LoadFamily(Fixture(arch), new ModelOptions { WeightFormat = WeightFormat.Q8 });
        int vocab = model.Config.VocabSize;

        var actual = TestModels.AllLogits(model, tokens);

        float diff = TestModels.MaxAbsDiff(expected, actual);
        float bound = 0.02f * (expected.Max() - expected.Min());
        int agree = Enumerable.Range(0, tokens.Length).Count(t => ArgMax(expected, t, vocab) == ArgMax(actual, t, vocab));
        output.WriteLine($"{arch}, int8: max |Δlogit| against llama.cpp f32 = {diff:E3} (bound {bound:E3}), top-1 agreement {agree}/{tokens.Length}");
        Assert.True(diff <= bound, $"{arch}: int8 max |Δlogit| {diff} exceeds {bound}");
    }

    private static int ArgMax(float[] logits, int row, int vocab)
    {
        var span = logits.AsSpan(row * vocab, vocab);
        int best = 0;
        for (int i = 1; i < span.Length; i++) if (span[i] > span[best]) best = i;
        return best;
    }
}
