using FsCheck;
using FsCheck.Fluent;
using Transformer.Runtime.Sampling;

namespace Transformer.Runtime.Tests;

/// <summary>
/// The sampler's filters and penalties against their definitions, in both directions: the candidates a draw chooses
/// among are exactly the ones each definition keeps (not one fewer, not one more), and penalties move logits by
/// exactly their amount in their direction. <see cref="Sampler.Candidates"/> exposes the set a draw uses.
/// </summary>
public sealed class SamplerTests
{
    private const int Cases = 300;
    private const int MaxVocab = 64; // beyond 16, Span.Sort switches from insertion sort (stable) to introsort

    private static float[] Logits(params float[] values) => values;

    /// <summary>
    /// A row of distinct logits: a shuffled ladder of steps of 4/vocab in [0, 4), so the order is unambiguous (every
    /// probability ratio between neighbours is at least e^(4/64) ≈ 1.06) and no probability is tiny.
    /// </summary>
    private static Gen<float[]> DistinctLogits(int vocab) =>
        Gen.Choose(0, int.MaxValue).Select(seed =>
        {
            var ladder = Enumerable.Range(0, vocab).Select(i => 4f * i / vocab).ToArray();
            new Random(seed).Shuffle(ladder);
            return ladder;
        });

    /// <summary>Ids from most to least likely (the ladder's values are distinct).</summary>
    private static int[] Ranked(float[] logits) => [.. Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i])];

    /// <summary>Softmax in double precision of logits / temperature, in <paramref name="ranked"/> order.</summary>
    private static double[] RankedProbabilities(float[] logits, int[] ranked, float temperature)
    {
        double max = logits.Max() / (double)temperature;
        double[] e = [.. ranked.Select(i => Math.Exp(logits[i] / (double)temperature - max))];
        double total = e.Sum();
        return [.. e.Select(x => x / total)];
    }

    private static int[] CandidatesOf(SamplingOptions options, float[] logits, int[]? context = null) =>
        new Sampler(options).Candidates(logits.ToArray(), context ?? []);

    [Fact]
    public void Top_k_keeps_exactly_the_k_most_likely()
    {
        var cases = from vocab in PropertyCoverage.Size(2, MaxVocab)
                    from k in PropertyCoverage.Size(1, vocab)
                    from logits in DistinctLogits(vocab)
                    select (Vocab: vocab, K: k, Logits: logits);

        var seen = PropertyCoverage.Check(cases, Cases, c =>
            CandidatesOf(new SamplingOptions { TopK = c.K, Seed = 1 }, c.Logits).SequenceEqual(Ranked(c.Logits).Take(c.K)));

        PropertyCoverage.AssertReaches(seen.Select(c => c.Vocab), 2, MaxVocab, "vocabulary size");
        Assert.Contains(seen, c => c.K == 1);
        Assert.Contains(seen, c => c.K == c.Vocab && c.Vocab > 16);
    }

    [Fact]
    public void Top_p_keeps_the_smallest_set_whose_probability_reaches_p()
    {
        // For a chosen size m, p halfway between the mass of the m−1 and the m most likely tokens: exactly m reach it.
        var cases = from vocab in PropertyCoverage.Size(2, MaxVocab)
                    from m in PropertyCoverage.Size(1, vocab)
                    from temperature in Gen.Elements(0.5f, 1f, 2f)
                    from logits in DistinctLogits(vocab)
                    select (Vocab: vocab, M: m, Temperature: temperature, Logits: logits);

        var seen = PropertyCoverage.Check(cases, Cases, c =>
        {
            int[] ranked = Ranked(c.Logits);
            double[] p = RankedProbabilities(c.Logits, ranked, c.Temperature);
            double before = p.Take(c.M - 1).Sum(), through = p.Take(c.M).Sum();
            var options = new SamplingOptions { TopP = (float)((before + through) / 2), Temperature = c.Temperature, Seed = 1 };
            return CandidatesOf(options, c.Logits).SequenceEqual(ranked.Take(c.M));
        });

        PropertyCoverage.AssertReaches(seen.Select(c => c.Vocab), 2, MaxVocab, "vocabulary size");
        Assert.Contains(seen, c => c.M == 1);
        Assert.Contains(seen, c => c.M == c.Vocab && c.Vocab > 16);
    }

    /// <summary>
    /// Softmax is shift-invariant, so logits far above float's exp range (~88) keep exactly the top-p set of the same
    /// logits near zero; a softmax that does not subtract the maximum turns them into Inf/Inf = NaN.
    /// </summary>
    [Fact]
    public void Top_p_is_unchanged_by_a_large_shift_of_every_logit()
    {
        var cases = from vocab in PropertyCoverage.Size(2, MaxVocab)
                    from m in PropertyCoverage.Size(1, vocab)
                    from shift in Gen.Elements(100f, 1000f, 5000f)
                    from logits in DistinctLogits(vocab)
                    select (Vocab: vocab, M: m, Shift: shift, Logits: logits);

        var seen = PropertyCoverage.Check(cases, Cases, c =>
        {
            int[] ranked = Ranked(c.Logits);
            double[] p = RankedProbabilities(c.Logits, ranked, 1f);
            double before = p.Take(c.M - 1).Sum(), through = p.Take(c.M).Sum();
            var options = new SamplingOptions { TopP = (float)((before + through) / 2), Temperature = 1f, Seed = 1 };
            float[] shifted = [.. c.Logits.Select(x => x + c.Shift)];
            return CandidatesOf(options, shifted).SequenceEqual(ranked.Take(c.M));
        });

        PropertyCoverage.AssertReaches(seen.Select(c => c.Vocab), 2, MaxVocab, "vocabulary size");
    }

    [Fact]
    public void Top_p_after_top_k_is_taken_over_what_top_k_kept_renormalised()
    {
        // Hugging Face and llama.cpp renormalise after top-k: the nucleus is m of the k kept, by their share of the k's mass.
        var cases = from vocab in PropertyCoverage.Size(3, MaxVocab)
                    from k in Gen.Choose(2, vocab - 1)
                    from m in PropertyCoverage.Size(1, k)
                    from logits in DistinctLogits(vocab)
                    select (Vocab: vocab, K: k, M: m, Logits: logits);

        var seen = PropertyCoverage.Check(cases, Cases, c =>
        {
            int[] ranked = Ranked(c.Logits);
            double[] p = RankedProbabilities(c.Logits, ranked, 1f);
            double kept = p.Take(c.K).Sum();
            double before = p.Take(c.M - 1).Sum() / kept, through = p.Take(c.M).Sum() / kept;
            var options = new SamplingOptions { TopK = c.K, TopP = (float)((before + through) / 2), Seed = 1 };
            return CandidatesOf(options, c.Logits).SequenceEqual(ranked.Take(c.M));
        });

        Assert.Contains(seen, c => c.M == c.K);
        Assert.Contains(seen, c => c.M == 1);
    }

    [Fact]
    public void Min_p_keeps_exactly_the_tokens_at_or_above_its_share_of_the_top_probability()
    {
        // For a chosen m, min-p halfway between the m-th and (m+1)-th probability ratios to the top: exactly m stay.
        var cases = from vocab in PropertyCoverage.Size(2, MaxVocab)
                    from m in PropertyCoverage.Size(1, vocab)
                    from logits in DistinctLogits(vocab)
                    select (Vocab: vocab, M: m, Logits: logits);

        var seen = PropertyCoverage.Check(cases, Cases, c =>
        {
            int[] ranked = Ranked(c.Logits);
            double[] p = RankedProbabilities(c.Logits, ranked, 1f);
            double[] ratio = [.. p.Select(x => x / p[0])];
            double minP = c.M < c.Vocab ? (ratio[c.M - 1] + ratio[c.M]) / 2 : ratio[c.Vocab - 1] / 2;
            return CandidatesOf(new SamplingOptions { MinP = (float)minP, Seed = 1 }, c.Logits).SequenceEqual(ranked.Take(c.M));
        });

        PropertyCoverage.AssertReaches(seen.Select(c => c.Vocab), 2, MaxVocab, "vocabulary size");
        Assert.Contains(seen, c => c.M == 1);
        Assert.Contains(seen, c => c.M == c.Vocab && c.Vocab > 16);
    }

    [Fact]
    public void Min_p_keeps_a_token_exactly_at_its_threshold()
    {
        // Equal logits have equal probabilities, so each is exactly min-p 1 × the top one: all three stay.
        Assert.Equal([0, 1, 3], CandidatesOf(new SamplingOptions { MinP = 1f, Seed = 1 }, Logits(2, 2, 1, 2)));
    }

    [Fact]
    public void Equally_likely_tokens_at_the_top_k_boundary_go_to_the_lower_ids_at_any_vocabulary_size()
    {
        var logits = new float[40];
        foreach (int i in new[] { 31, 7, 22 }) logits[i] = 1f; // three clear winners, then 37 tied
        Assert.Equal([7, 22, 31, 0, 1], CandidatesOf(new SamplingOptions { TopK = 5, Seed = 1 }, logits));
    }

    [Fact]
    public void Draws_come_from_the_kept_tokens_in_proportion_to_their_renormalised_probabilities()
    {
        // p ∝ [1, 3, 6]; top-k 2 keeps ids 2 and 1 with shares 6/9 and 3/9. 20,000 draws put id 2's share within
        // ±0.02 of 2/3 (about 6σ) and never draw id 0.
        var sampler = new Sampler(new SamplingOptions { TopK = 2, Seed = 3 });
        var draws = Enumerable.Range(0, 20_000).Select(_ => sampler.Sample(Logits(0, MathF.Log(3), MathF.Log(6)), [])).ToList();
        Assert.DoesNotContain(0, draws);
        Assert.InRange(draws.Count(d => d == 2) / 20_000.0, 2 / 3.0 - 0.02, 2 / 3.0 + 0.02);
    }

    [Fact]
    public void Greedy_picks_the_largest_logit_and_the_lowest_id_on_ties()
    {
        var sampler = new Sampler(SamplingOptions.Greedy);
        Assert.Equal(2, sampler.Sample(Logits(0, 1, 5, 5, -3), []));
        Assert.True(sampler.IsGreedy);
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

    /// <summary>
    /// Logits and a context drawn from small multiples of 1/4, so every penalty below is exact in float32 and the
    /// expected logits are the definitions themselves, to the bit.
    /// </summary>
    private static Gen<(float[] Logits, int[] Context)> LogitsAndContext =>
        from vocab in PropertyCoverage.Size(2, MaxVocab)
        from quarters in Gen.Choose(-24, 24).ArrayOf(vocab)
        from length in PropertyCoverage.Size(0, 3 * MaxVocab)
        from context in Gen.Choose(-2, vocab + 1).ArrayOf(length) // a few ids outside the vocabulary, which are ignored
        select (quarters.Select(q => q / 4f).ToArray(), context);

    private static int Occurrences(int[] context, int id) => context.Count(t => t == id);

    [Fact]
    public void Repetition_penalty_divides_positive_and_multiplies_negative_logits_once_per_distinct_token()
    {
        var cases = from c in LogitsAndContext from penalty in Gen.Elements(0.5f, 1.25f, 2f, 4f) select (c.Logits, c.Context, Penalty: penalty);

        var seen = PropertyCoverage.Check(cases, Cases, c =>
        {
            float[] logits = c.Logits.ToArray();
            new Sampler(new SamplingOptions { Temperature = 0, RepetitionPenalty = c.Penalty }).Candidates(logits, c.Context);
            return logits.Select((after, id) => after == (Occurrences(c.Context, id) == 0 ? c.Logits[id]
                : c.Logits[id] > 0 ? c.Logits[id] / c.Penalty : c.Logits[id] * c.Penalty)).All(ok => ok);
        });

        Assert.Contains(seen, c => c.Context.GroupBy(t => t).Any(g => g.Count() > 2)); // repeats were there to count once
        PropertyCoverage.AssertReaches(seen.Select(c => c.Context.Length), 0, 3 * MaxVocab, "context length");
    }

    [Fact]
    public void Frequency_and_presence_penalties_subtract_per_occurrence_and_once_per_token()
    {
        var cases = from c in LogitsAndContext
                    from frequency in Gen.Choose(-8, 8).Select(q => q / 4f)
                    from presence in Gen.Choose(-8, 8).Select(q => q / 4f)
                    select (c.Logits, c.Context, Frequency: frequency, Presence: presence);

        var seen = PropertyCoverage.Check(cases, Cases, c =>
        {
            float[] logits = c.Logits.ToArray();
            new Sampler(new SamplingOptions { Temperature = 0, FrequencyPenalty = c.Frequency, PresencePenalty = c.Presence }).Candidates(logits, c.Context);
            return logits.Select((after, id) =>
            {
                int n = Occurrences(c.Context, id);
                return after == (n == 0 ? c.Logits[id] : c.Logits[id] - n * c.Frequency - c.Presence);
            }).All(ok => ok);
        });

        Assert.Contains(seen, c => c.Frequency == 2 || c.Frequency == -2);
        Assert.Contains(seen, c => c.Presence > 0 && c.Frequency < 0);
    }

    [Fact]
    public void Repetition_penalty_applies_before_frequency_and_presence()
    {
        var logits = Logits(4, 1);
        new Sampler(new SamplingOptions { Temperature = 0, RepetitionPenalty = 2, FrequencyPenalty = 0.5f, PresencePenalty = 0.25f }).Candidates(logits, [0, 0]);
        Assert.Equal(4f / 2 - 2 * 0.5f - 0.25f, logits[0]); // (4 − 1.25) / 2 would be the other order
        Assert.Equal(1f, logits[1]);
    }

    [Theory]
    [InlineData(0.2f, 0)] // 3 − 2 × 0.2 = 2.6 still beats 2.5
    [InlineData(0.3f, 1)] // 3 − 2 × 0.3 = 2.4 falls below it
    [InlineData(-1f, 0)]  // a negative penalty favours the repeated token
    public void A_frequency_penalty_changes_the_greedy_choice_by_its_amount(float frequency, int expected)
    {
        var sampler = new Sampler(new SamplingOptions { Temperature = 0, FrequencyPenalty = frequency });
        Assert.False(sampler.IsGreedy);
        Assert.Equal(expected, sampler.Sample(Logits(3, 2.5f), [0, 0]));
    }

    [Fact]
    public void Given_the_generated_tokens_apart_frequency_and_presence_count_only_those_and_repetition_the_whole_context()
    {
        // Id 0 fills the prompt but was generated once: 4 / 2 (repetition, context) − 1 × 0.5 − 0.25 = 1.25 still beats
        // id 1; counting its four occurrences in the context would give −0.25 and hand the choice to id 1.
        var logits = Logits(4, 1, 3);
        var sampler = new Sampler(new SamplingOptions { Temperature = 0, RepetitionPenalty = 2, FrequencyPenalty = 0.5f, PresencePenalty = 0.25f });
        Assert.Equal(0, sampler.Sample(logits, [0, 0, 0, 2, 0], [2, 0]));
        Assert.Equal([4f / 2 - 0.5f - 0.25f, 1f, 3f / 2 - 0.5f - 0.25f], logits);
    }

    [Theory]
    [InlineData(-0.1f, 0, 1f, 0f, 1f, 0f, 0f)]
    [InlineData(1f, -1, 1f, 0f, 1f, 0f, 0f)]
    [InlineData(1f, 0, 0f, 0f, 1f, 0f, 0f)]
    [InlineData(1f, 0, 1.5f, 0f, 1f, 0f, 0f)]
    [InlineData(1f, 0, 1f, 2f, 1f, 0f, 0f)]
    [InlineData(1f, 0, 1f, 0f, 0f, 0f, 0f)]
    [InlineData(float.NaN, 0, 1f, 0f, 1f, 0f, 0f)]
    [InlineData(1f, 0, 1f, 0f, 1f, 2.5f, 0f)]
    [InlineData(1f, 0, 1f, 0f, 1f, float.NaN, 0f)]
    [InlineData(1f, 0, 1f, 0f, 1f, 0f, -2.5f)]
    public void Out_of_range_options_are_refused(float temperature, int topK, float topP, float minP, float penalty, float frequency, float presence)
    {
        var options = new SamplingOptions
        {
            Temperature = temperature, TopK = topK, TopP = topP, MinP = minP, RepetitionPenalty = penalty,
            FrequencyPenalty = frequency, PresencePenalty = presence,
        };
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(options));
    }
}
