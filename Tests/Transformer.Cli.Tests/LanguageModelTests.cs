using Transformer.Runtime;
using Transformer.Runtime.Generation;
using Transformer.Runtime.Sampling;
using Transformer.Text;

namespace Transformer.Cli.Tests;

/// <summary>The application facade end to end on stories260K, against llama2.c's outputs.</summary>
public sealed class LanguageModelTests
{
    [Fact]
    public void Finds_the_tokenizer_beside_the_model_and_encodes_as_run_c()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        using var model = LanguageModel.Load(SharedModels.Stories260KFile("stories260K.bin"), new LanguageModelOptions { Threads = 1 });

        Assert.Equal(SharedModels.Stories260K, Path.GetDirectoryName(model.TokenizerPath));
        Assert.Equal(512, model.Config.VocabSize);
        for (int i = 0; i < 4; i++)
        {
            var greedy = GreedyCases.Case(i);
            Assert.Equal(ReferenceJson.Ints(greedy.GetProperty("prompt_token_ids")),
                model.Encode(greedy.GetProperty("prompt").GetString()!));
        }
    }

    [Fact]
    public void Logits_match_run_c()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        var reference = ReferenceJson.Load(SharedModels.Stories260KFile("reference/logits.json"));
        float[] expected = ReferenceJson.FlatFloats(reference.GetProperty("logits"));
        using var model = LanguageModel.Load(SharedModels.Stories260K);

        float[] actual = model.Logits(ReferenceJson.Ints(reference.GetProperty("token_ids")));

        Assert.Equal(expected.Length, actual.Length);
        float maxDiff = expected.Zip(actual, (e, a) => MathF.Abs(e - a)).Max();
        Assert.True(maxDiff <= 1e-4f, $"max |diff| {maxDiff}");
    }

    [Fact]
    public async Task GenerateAsync_streams_run_c_greedy_text_and_Complete_agrees()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        var greedy = GreedyCases.Case(1);
        string prompt = greedy.GetProperty("prompt").GetString()!;
        var options = new GenerationOptions { MaxNewTokens = 64, Sampling = SamplingOptions.Greedy };
        using var model = LanguageModel.Load(SharedModels.Stories260K);

        var pieces = new List<string>();
        var stats = new GenerationStats();
        await foreach (string piece in model.GenerateAsync(prompt, options, stats, TestContext.Current.CancellationToken))
            pieces.Add(piece);

        Assert.Equal(greedy.GetProperty("generated_text").GetString(), string.Concat(pieces));
        Assert.Equal(64, stats.GeneratedTokens);
        Assert.Equal(string.Concat(pieces), model.Complete(prompt, options, cancellation: TestContext.Current.CancellationToken));
        Assert.Equal(string.Concat(pieces), string.Concat(model.Generate(prompt, options, cancellation: TestContext.Current.CancellationToken)));
    }

    [Fact]
    public async Task Cancellation_stops_the_stream()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        using var model = LanguageModel.Load(SharedModels.Stories260K);
        using var cancel = new CancellationTokenSource();
        int received = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (string _ in model.GenerateAsync("Once upon a time", new GenerationOptions { MaxNewTokens = 200 }, cancellation: cancel.Token))
            {
                if (++received == 3) cancel.Cancel();
            }
        });
        Assert.Equal(3, received);
    }

    [Fact]
    public void Too_many_tokens_for_the_context_is_a_context_overflow()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        using var model = LanguageModel.Load(SharedModels.Stories260K);

        Assert.Throws<ContextOverflowException>(() => model.Logits(new int[model.Config.MaxPositions + 1]));
        Assert.Throws<ArgumentException>(() => model.Logits([]));
    }
}
