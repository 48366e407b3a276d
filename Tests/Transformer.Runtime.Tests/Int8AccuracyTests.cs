using Transformer.Kernels.Backend;
using Transformer.Runtime.Generation;
using Transformer.Tests.Shared;

namespace Transformer.Runtime.Tests;

/// <summary>
/// int8 (Q8, quantized at load) against float32 on the same inputs: top-1 agreement and KL divergence of
/// the next-token distributions, and where greedy continuations part. The figures are written to the
/// test output; the bounds below were set from them with headroom, as each comment explains.
/// </summary>
public sealed class Int8AccuracyTests(ITestOutputHelper output)
{
    private static readonly ModelOptions Q8 = new() { WeightFormat = WeightFormat.Q8 };

    public static TheoryData<string> Fixtures() =>
        new("mha", "mqa", "untied", "attention_bias", "llama3_rope", "head_dim", "f16", "bf16", "sharded");

    [Fact]
    public void Stories260K_int8_logits_stay_close_to_f32_on_the_reference_sequence()
    {
        using var f32 = TestModels.Stories260K(fromLlama2cCheckpoint: false);
        using var int8 = TestModels.Stories260K(fromLlama2cCheckpoint: false, Q8);
        int[] tokens = ReferenceJson.Ints(ReferenceJson.Load(SharedModels.Stories260KFile("reference/logits.json")).GetProperty("token_ids"));

        var m = Int8AccuracyMetrics.Compare(TestModels.AllLogits(f32, tokens), TestModels.AllLogits(int8, tokens), f32.Config.VocabSize);
        output.WriteLine($"stories260K, {tokens.Length} positions: {m}");

        // Measured (2026-11-25, avx512 path): top-1 31/32 (the one flip at an f32 top-2 margin of 0.05),
        // KL mean 7.1E-4, max 2.7E-3 nats, max |Δlogit| 0.42. Bounds: at most one flip in 32, and only at a
        // near-tie (margin < 0.2, 4× the measured one); mean KL ≤ 2E-3 (≈ 3× measured) and max KL ≤ 1E-2
        // (≈ 4×): 1E-2 nats bounds the total-variation distance by 7% (Pinsker), a difference that
        // sampling would barely show.
        Assert.True(m.Top1Agreements >= m.Positions - 1, m.ToString());
        Assert.True(m.LargestFlipMargin < 0.2f, m.ToString());
        Assert.True(m.MeanKl <= 2e-3, m.ToString());
        Assert.True(m.MaxKl <= 1e-2, m.ToString());
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Fixture_int8_logits_stay_close_to_f32(string variant)
    {
        using var f32 = TestModels.Load(TestModels.Fixture(variant));
        using var int8 = TestModels.Load(TestModels.Fixture(variant), Q8);
        int[] tokens = ReferenceJson.Ints(ReferenceJson.Load(Path.Combine(TestModels.Fixture(variant), "reference.json")).GetProperty("token_ids"));

        var m = Int8AccuracyMetrics.Compare(TestModels.AllLogits(f32, tokens), TestModels.AllLogits(int8, tokens), f32.Config.VocabSize);
        output.WriteLine($"{variant} (hidden 32: projections with K = 32 quantized, down_proj K = 86 kept unquantized), {tokens.Length} positions: {m}");

        // Measured (2026-11-25) over the nine fixtures: top-1 14 to 16 of 16, KL mean ≤ 7.1E-5 and max
        // ≤ 1.3E-4 nats, max |Δlogit| ≤ 0.059. Random tiny models have near-uniform next-token
        // distributions (tiny KL) full of near-ties (top-1 flips), so the bound on flips is on where they
        // happen, not how many: only where the f32 top-2 margin is below 0.15 (≈ 2.5× the largest logit
        // error; a flip needs margin ≤ 2 × error). KL bounds: 10× the worst measurement.
        Assert.True(m.LargestFlipMargin < 0.15f, m.ToString());
        Assert.True(m.MeanKl <= 1e-3, m.ToString());
        Assert.True(m.MaxKl <= 2e-3, m.ToString());
    }

    /// <summary>
    /// A greedy int8 continuation may leave the float32 one (greedy.json, run.c) only at a step where the
    /// f32 top-two logits are close: flipping them takes an error on each of at least half the margin.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Stories260K_int8_greedy_diverges_only_where_the_f32_margin_is_small(int caseIndex)
    {
        // The largest int8 logit error measured on stories260K is 0.42 (see the logits test); a flip needs
        // margin ≤ 2 × error ≈ 0.84, so 1.0 is the threshold. Typical f32 margins in greedy.json are 2 to 9;
        // measured: cases 0, 1, 3 match all 64 tokens, case 2 diverges at step 16 where the margin is 0.046.
        const double SmallMargin = 1.0;
        using var model = TestModels.Stories260K(fromLlama2cCheckpoint: false, Q8);
        var reference = ReferenceJson.Load(SharedModels.Stories260KFile("reference/greedy.json"))[caseIndex];
        int[] prompt = ReferenceJson.Ints(reference.GetProperty("prompt_token_ids"));
        int[] expected = ReferenceJson.Ints(reference.GetProperty("generated_token_ids"));
        double[] margins = reference.GetProperty("argmax_margins").EnumerateArray().Select(e => e.GetDouble()).ToArray();

        using var sequence = model.CreateSequence();
        var options = new GenerationOptions { MaxNewTokens = expected.Length, Sampling = Sampling.SamplingOptions.Greedy, StopAtEos = false };
        int[] generated = TokenGenerator.Generate(sequence, prompt, options, [], cancellation: TestContext.Current.CancellationToken).ToArray();

        int matching = 0;
        while (matching < expected.Length && matching < generated.Length && generated[matching] == expected[matching]) matching++;
        string where = matching == expected.Length ? "no divergence" : $"first divergence at step {matching}, f32 margin {margins[matching]:F4}";
        output.WriteLine($"greedy case {caseIndex}: {matching}/{expected.Length} tokens match before divergence; {where}; smallest f32 margin {margins.Min():F4}");

        if (matching < expected.Length)
            Assert.True(margins[matching] < SmallMargin, $"int8 left the f32 continuation at step {matching}, where the f32 margin {margins[matching]} is not small (< {SmallMargin})");
    }
}
