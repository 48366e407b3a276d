using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Transformer.Runtime.Sampling;

namespace Transformer.Runtime.Tests;

public sealed class SamplerTests
{
    private static float[] Logits(params float[] values) => values;

    [Fact]
    public void Greedy_picks_the_largest_logit_and_the_lowest_id_on_ties()
    {
        var sampler = new Sampler(SamplingOptions.Greedy);
        Assert.Equal(2, sampler.Sample(Logits(0, 1, 5, 5, -3), []));
    }

    [Fact]
    public void The_same_seed_gives_the_same_draws()
    {
        var logits = Enumerable.Range(0, 50).Select(i => MathF.Sin(i)).ToArray();
        int[] Draws(int seed)
        {
            var sampler = new Sampler(new SamplingOptions { Temperature = 1.5f, Seed = seed });
            return Enumerable.Range(0, 40).Select(_ => sampler.Sample(logits.ToArray(), [])).ToArray();
        }
        Assert.Equal(Draws(42), Draws(42));
        Assert.NotEqual(Draws(42), Draws(43));
    }

    [Fact]
    public void Draws_follow_the_softmax_distribution()
    {
        // p = softmax([0, ln 3]) = [0.25, 0.75]; 20,000 draws put the share of id 1 within ±0.02 of 0.75 (≈ 6.5σ).
        var sampler = new Sampler(new SamplingOptions { Seed = 1 });
        int ones = Enumerable.Range(0, 20_000).Count(_ => sampler.Sample(Logits(0, MathF.Log(3)), []) == 1);
        Assert.InRange(ones / 20_000.0, 0.73, 0.77);
    }

    [Fact]
    public void Temperature_sharpens_the_distribution()
    {
        var sampler = new Sampler(new SamplingOptions { Temperature = 0.25f, Seed = 1 });
        // At T = 1/4 the odds 1:3 become 1:81, so id 1 has p ≈ 0.988.
        int ones = Enumerable.Range(0, 10_000).Count(_ => sampler.Sample(Logits(0, MathF.Log(3)), []) == 1);
        Assert.InRange(ones / 10_000.0, 0.98, 0.995);
    }

    [Property(MaxTest = 200)]
    public Property Top_k_only_draws_from_the_k_largest(int seed, PositiveInt kArg)
    {
        var random = new Random(seed);
        var logits = Enumerable.Range(0, 30).Select(_ => (float)random.NextDouble() * 10).ToArray();
        int k = 1 + kArg.Get % 5;
        var allowed = logits.Select((v, i) => (v, i)).OrderByDescending(p => p.v).ThenBy(p => p.i).Take(k).Select(p => p.i).ToHashSet();
        var sampler = new Sampler(new SamplingOptions { TopK = k, Seed = seed });
        return Enumerable.Range(0, 20).All(_ => allowed.Contains(sampler.Sample(logits.ToArray(), []))).ToProperty();
    }

    [Property(MaxTest = 200)]
    public Property Top_p_draws_only_from_the_nucleus(int seed)
    {
        var random = new Random(seed);
        var logits = Enumerable.Range(0, 30).Select(_ => (float)random.NextDouble() * 6).ToArray();
        const float topP = 0.5f;
        // The nucleus: the most likely tokens until their mass first reaches p.
        var p = logits.Select(l => Math.Exp(l)).ToArray();
        double sum = p.Sum();
        var nucleus = new HashSet<int>();
        double mass = 0;
        foreach (int id in Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ThenBy(i => i))
        {
            nucleus.Add(id);
            mass += p[id] / sum;
            if (mass >= topP) break;
        }
        var sampler = new Sampler(new SamplingOptions { TopP = topP, Seed = seed });
        return Enumerable.Range(0, 20).All(_ => nucleus.Contains(sampler.Sample(logits.ToArray(), []))).ToProperty();
    }

    [Fact]
    public void Min_p_drops_tokens_far_below_the_top()
    {
        // p ∝ [1, 0.5, 0.01]: min-p 0.1 keeps ids 0 and 1 only.
        var sampler = new Sampler(new SamplingOptions { MinP = 0.1f, Seed = 5 });
        var seen = Enumerable.Range(0, 2000).Select(_ => sampler.Sample(Logits(0, MathF.Log(0.5f), MathF.Log(0.01f)), [])).ToHashSet();
        Assert.Equal(new HashSet<int> { 0, 1 }, seen);
    }

    [Fact]
    public void Repetition_penalty_divides_positive_and_multiplies_negative_logits_once_per_token()
    {
        var sampler = new Sampler(new SamplingOptions { Temperature = 0, RepetitionPenalty = 2f });
        var logits = Logits(4, 3, -1, 2.5f);
        // Context repeats id 0: penalised once, 4 → 2, so id 1 (3) wins; id 2 (−1 → −2) is untouched by the choice.
        Assert.Equal(1, sampler.Sample(logits, [0, 0, 2]));
        Assert.Equal(new float[] { 2, 3, -2, 2.5f }, logits);
        Assert.False(sampler.IsGreedy);
    }

    [Theory]
    [InlineData(-0.1f, 0, 1f, 0f, 1f)]
    [InlineData(1f, -1, 1f, 0f, 1f)]
    [InlineData(1f, 0, 0f, 0f, 1f)]
    [InlineData(1f, 0, 1.5f, 0f, 1f)]
    [InlineData(1f, 0, 1f, 2f, 1f)]
    [InlineData(1f, 0, 1f, 0f, 0f)]
    [InlineData(float.NaN, 0, 1f, 0f, 1f)]
    public void Out_of_range_options_are_refused(float temperature, int topK, float topP, float minP, float penalty)
    {
        var options = new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP, MinP = minP, RepetitionPenalty = penalty };
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(options));
    }
}
