using Transformer.Runtime;

namespace Transformer.Runtime.Tests;

/// <summary>The KV cache and batched prefill must not change what the model computes.</summary>
public sealed class KvCacheTests
{
    // The same float operations run in a different grouping of rows; results agree to rounding.
    private const float Tolerance = 1e-5f;

    public static TheoryData<string> Models() => new("mha", "mqa", "attention_bias", "llama3_rope", "head_dim");

    private static int[] Tokens(int vocab, int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i => i == 0 ? 1 : random.Next(vocab)).ToArray();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Prefill_then_decode_equals_a_full_recompute(string variant)
    {
        using var model = TestModels.Load(TestModels.Fixture(variant));
        int vocab = model.Config.VocabSize;
        int[] tokens = Tokens(vocab, 20, seed: 7);
        float[] full = TestModels.AllLogits(model, tokens);

        using var sequence = model.CreateSequence();
        var logits = new float[vocab];
        sequence.Append(tokens.AsSpan(0, 8), logits);
        Assert.True(TestModels.MaxAbsDiff(full.AsSpan(7 * vocab, vocab), logits) <= Tolerance);
        for (int p = 8; p < tokens.Length; p++)
        {
            sequence.Append(tokens.AsSpan(p, 1), logits);
            float diff = TestModels.MaxAbsDiff(full.AsSpan(p * vocab, vocab), logits);
            Assert.True(diff <= Tolerance, $"position {p}: decode differs from full recompute by {diff}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void Batched_prefill_equals_token_by_token(int chunk)
    {
        using var batched = TestModels.Load(TestModels.Fixture("mha"));
        using var chunked = TestModels.Load(TestModels.Fixture("mha"), new ModelOptions { PrefillChunk = chunk });
        int[] tokens = Tokens(batched.Config.VocabSize, 17, seed: 11);

        float diff = TestModels.MaxAbsDiff(TestModels.AllLogits(batched, tokens), TestModels.AllLogits(chunked, tokens));

        Assert.True(diff <= Tolerance, $"prefill in chunks of {chunk} differs by {diff}");
    }

    [Fact]
    public void Truncate_then_append_recomputes_from_the_kept_prefix()
    {
        using var model = TestModels.Load(TestModels.Fixture("mqa"));
        int vocab = model.Config.VocabSize;
        int[] tokens = Tokens(vocab, 10, seed: 3);
        float[] full = TestModels.AllLogits(model, tokens);

        using var sequence = model.CreateSequence();
        var logits = new float[vocab];
        sequence.Append(Tokens(vocab, 10, seed: 99), logits);
        sequence.Truncate(1); // keep BOS only; the rest is overwritten
        sequence.Append(tokens.AsSpan(1), logits);

        Assert.True(TestModels.MaxAbsDiff(full.AsSpan(9 * vocab, vocab), logits) <= Tolerance);
    }
}
