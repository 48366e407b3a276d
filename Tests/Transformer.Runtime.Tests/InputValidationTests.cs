using Transformer.Runtime;
using Transformer.Runtime.Generation;

namespace Transformer.Runtime.Tests;

/// <summary>Bad input gets an exception that names the problem.</summary>
public sealed class InputValidationTests
{
    [Fact]
    public void Context_overflow_is_a_clear_error()
    {
        using var model = TestModels.Load(TestModels.Fixture("mha"));
        using var sequence = model.CreateSequence(maxTokens: 8);
        var logits = new float[model.Config.VocabSize];
        sequence.Append([1, 2, 3, 4, 5, 6], logits);

        var error = Assert.Throws<ContextOverflowException>(() => sequence.Append([7, 8, 9], logits));
        Assert.Contains("holds at most 8 tokens, 9 were needed", error.Message);
        Assert.Equal(6, sequence.Length); // nothing was half-appended
    }

    [Fact]
    public void A_sequence_longer_than_the_model_context_is_refused()
    {
        using var model = TestModels.Load(TestModels.Fixture("mha"));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.CreateSequence(model.Config.MaxPositions + 1));
        Assert.Contains($"1 to {model.Config.MaxPositions} tokens", error.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(128)]
    [InlineData(int.MaxValue)]
    public void Token_ids_outside_the_vocabulary_are_refused(int token)
    {
        using var model = TestModels.Load(TestModels.Fixture("mha"));
        using var sequence = model.CreateSequence();
        var logits = new float[model.Config.VocabSize];

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => sequence.Append([1, token], logits));
        Assert.Contains($"token id {token} at index 1 is outside the vocabulary [0, 128)", error.Message);
    }

    [Fact]
    public void Generation_that_fills_the_context_stops_with_a_reason()
    {
        using var model = TestModels.Load(TestModels.Fixture("mha"));
        using var sequence = model.CreateSequence(maxTokens: 6);
        var stats = new GenerationStats();
        var options = new GenerationOptions { MaxNewTokens = 50, Sampling = Sampling.SamplingOptions.Greedy, StopAtEos = false };

        int[] generated = TokenGenerator.Generate(sequence, [1, 5, 9], options, [], stats, TestContext.Current.CancellationToken).ToArray();

        // 3 prompt tokens + 3 generated fill 6 positions; the last generated token needs no position of its own.
        Assert.Equal(4, generated.Length);
        Assert.Equal(StopReason.ContextFull, stats.StopReason);
    }

    [Fact]
    public void A_huge_token_budget_is_bounded_by_the_sequence_not_allocated()
    {
        using var model = TestModels.Load(TestModels.Fixture("mha"));
        using var sequence = model.CreateSequence(maxTokens: 6);
        var stats = new GenerationStats();
        var options = new GenerationOptions { MaxNewTokens = int.MaxValue, Sampling = Sampling.SamplingOptions.Greedy, StopAtEos = false };

        int[] generated = TokenGenerator.Generate(sequence, [1, 5, 9], options, [], stats, TestContext.Current.CancellationToken).ToArray();

        Assert.Equal(4, generated.Length);
        Assert.Equal(StopReason.ContextFull, stats.StopReason);
    }

    [Fact]
    public void A_prompt_longer_than_the_context_is_refused_before_any_work()
    {
        using var model = TestModels.Load(TestModels.Fixture("mha"));
        using var sequence = model.CreateSequence(maxTokens: 4);
        Assert.Throws<ContextOverflowException>(() => TokenGenerator.Generate(sequence, [1, 2, 3, 4, 5], new GenerationOptions(), [], cancellation: TestContext.Current.CancellationToken));
    }
}
