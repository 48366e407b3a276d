using Transformer.Kernels.Backend;
using Transformer.Runtime.Generation;
using Transformer.Runtime.Sampling;

namespace Transformer.Serving.Tests;

/// <summary>
/// A request at temperature 0 or with a seed returns the same tokens and log-probabilities, bit for bit,
/// whether it runs alone or beside up to 63 others, with or without prefix-cache hits, prefilled in one
/// pass or in chunks, at any thread count, in f32 or int8.
/// </summary>
public sealed class BatchInvarianceTests
{
    private static GenerationRequest[] Requests(int count, int vocab, int seed, int maxTokens = 24) =>
        ServingModels.Prompts(count, vocab, seed).Select((prompt, i) => new GenerationRequest
        {
            Prompt = prompt,
            MaxTokens = maxTokens + i % 7,
            Sampling = ServingModels.Sampling(i),
            TopLogprobs = i % 2 == 0 ? 3 : null,
        }).ToArray();

    [Theory]
    [InlineData(WeightFormat.F32, 1, 64, 256)]
    [InlineData(WeightFormat.F32, 2, 16, 24)]
    [InlineData(WeightFormat.Q8, 2, 64, 256)]
    [InlineData(WeightFormat.Q8, 1, 8, 9)]
    public async Task Outputs_beside_others_equal_solo_runs_bitwise(WeightFormat format, int threads, int maxSequences, int stepBudget)
    {
        using var solo = ServingModels.Stories260K(threads: 1, format);
        using var batched = ServingModels.Stories260K(threads, format);
        var requests = Requests(64, solo.Config.VocabSize, seed: 5);
        var alone = await ServingModels.RunSolo(solo, requests);

        using var scheduler = new Scheduler(batched, new ServingOptions { MaxSequences = maxSequences, StepTokenBudget = stepBudget, QueueLimit = 64 });
        // The first request runs until its prompt is cached, so the others that share its prefix hit the cache.
        var first = scheduler.Submit(requests[0]);
        await first.Tokens.WaitToReadAsync();
        var together = await Task.WhenAll([ServingModels.CollectAsync(first), .. requests.Skip(1).Select(r => ServingModels.CollectAsync(scheduler.Submit(r)))]);

        for (int i = 0; i < requests.Length; i++)
        {
            Assert.True(alone[i].Tokens.SequenceEqual(together[i].Tokens), $"request {i}: alone {alone[i]}, beside others {together[i]}");
            Assert.True(alone[i].LogprobBits.SequenceEqual(together[i].LogprobBits), $"request {i}: log-probabilities differ in their bits");
            Assert.Equal(alone[i].Reason, together[i].Reason);
        }
        Assert.True(scheduler.Snapshot.PrefixHitTokens > 0, "the shared prompts should have hit the prefix cache");
    }

    [Fact]
    public async Task A_solo_greedy_request_equals_the_single_sequence_generator()
    {
        using var model = ServingModels.Stories260K();
        var prompt = ServingModels.Prompts(1, model.Config.VocabSize, seed: 9)[0];
        using var sequence = model.CreateSequence();
        var expected = TokenGenerator.Generate(sequence, prompt, new GenerationOptions { MaxNewTokens = 40, Sampling = SamplingOptions.Greedy, StopAtEos = false }, []).ToArray();

        var outcome = (await ServingModels.RunSolo(model, [new GenerationRequest { Prompt = prompt, MaxTokens = 40 }]))[0];

        Assert.Equal(expected, outcome.Tokens);
    }

    [Fact]
    public async Task Preempted_sequences_are_recomputed_to_the_same_tokens()
    {
        using var model = ServingModels.Stories260K();
        var requests = Requests(8, model.Config.VocabSize, seed: 21, maxTokens: 80);
        var alone = await ServingModels.RunSolo(model, requests);

        // Room for about three full sequences: eight running at once must give blocks back and recompute.
        var shape = new KvPoolShape(model.Config.NumLayers, 1, model.Options.KvBlockSize, model.Config.NumKvHeads, model.Config.HeadDim, KvDType.F32);
        using var scheduler = new Scheduler(model, new ServingOptions { MaxSequences = 8, KvMemoryBytes = shape.BytesPerBlock * 24, PrefixCaching = false });
        var together = await ServingModels.RunTogether(scheduler, requests);

        Assert.True(scheduler.Snapshot.Preemptions > 0, "the pool was sized to force preemption");
        for (int i = 0; i < requests.Length; i++)
            Assert.True(alone[i].Tokens.SequenceEqual(together[i].Tokens), $"request {i}: alone {alone[i]}, with preemption {together[i]}");
        Assert.Equal(0, scheduler.Snapshot.KvBlocksUsed);
    }

    [Fact]
    public async Task A_prefix_cache_hit_gives_the_cold_result_bitwise()
    {
        using var model = ServingModels.Stories260K();
        var prompt = ServingModels.Prompts(1, model.Config.VocabSize, seed: 3)[0].Concat(Enumerable.Range(10, 40)).ToArray();
        var request = new GenerationRequest { Prompt = prompt, MaxTokens = 30, TopLogprobs = 5, Sampling = new SamplingOptions { Temperature = 1, Seed = 7 } };
        using var scheduler = new Scheduler(model);

        var cold = await ServingModels.CollectAsync(scheduler.Submit(request));
        var warm = await ServingModels.CollectAsync(scheduler.Submit(request));

        Assert.Equal(0, cold.CachedPromptTokens);
        int blockSize = model.Options.KvBlockSize;
        Assert.Equal((prompt.Length - 1) / blockSize * blockSize, warm.CachedPromptTokens);
        Assert.Equal(cold.Tokens, warm.Tokens);
        Assert.Equal(cold.LogprobBits, warm.LogprobBits);
    }
}
