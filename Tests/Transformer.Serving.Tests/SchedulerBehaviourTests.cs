using Transformer.Runtime;

namespace Transformer.Serving.Tests;

/// <summary>Admission, cancellation, limits and finishing, on stories260K.</summary>
public sealed class SchedulerBehaviourTests
{
    private static GenerationRequest Long(int seed) => new() { Prompt = [1, 100 + seed, 200, 300], MaxTokens = 400 };

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task Cancelling_while_queued_mid_prefill_and_mid_decode_frees_everything()
    {
        using var model = ServingModels.Stories260K();
        using var scheduler = new Scheduler(model, new ServingOptions { MaxSequences = 2, StepTokenBudget = 4 });
        using var decoding = new CancellationTokenSource();
        using var prefilling = new CancellationTokenSource();
        using var queued = new CancellationTokenSource();

        var a = scheduler.Submit(Long(1), decoding.Token);
        // A long prompt prefilled 4 tokens per step (minus a's decode row) takes many steps.
        var b = scheduler.Submit(new GenerationRequest { Prompt = [1, .. Enumerable.Range(5, 400)], MaxTokens = 10 }, prefilling.Token);
        var c = scheduler.Submit(Long(3), queued.Token);

        await a.Tokens.ReadAsync();             // a is decoding
        await b.Started;                        // b is in prefill
        Assert.False(c.Started.IsCompleted);    // c waits for a place
        queued.Cancel();
        prefilling.Cancel();
        decoding.Cancel();

        Assert.Equal(FinishReason.Cancelled, await a.Completion);
        Assert.Equal(FinishReason.Cancelled, await b.Completion);
        Assert.Equal(FinishReason.Cancelled, await c.Completion);
        Assert.Empty(await ReadRest(b));
        await Until(() => scheduler.Snapshot is { Running: 0, Waiting: 0, KvBlocksUsed: 0 }, "the scheduler to empty");
    }

    private static async Task<List<GeneratedToken>> ReadRest(GenerationStream stream)
    {
        var rest = new List<GeneratedToken>();
        await foreach (var t in stream.Tokens.ReadAllAsync()) rest.Add(t);
        return rest;
    }

    [Fact]
    public async Task A_full_queue_refuses_and_loses_nothing_it_accepted()
    {
        using var model = ServingModels.Stories260K();
        using var scheduler = new Scheduler(model, new ServingOptions { MaxSequences = 1, QueueLimit = 2 });
        var accepted = Enumerable.Range(0, 3).Select(i => scheduler.Submit(new GenerationRequest { Prompt = [1, 50 + i], MaxTokens = 20 })).ToList();

        var refused = Assert.Throws<QueueFullException>(() => scheduler.Submit(new GenerationRequest { Prompt = [1], MaxTokens = 5 }));
        Assert.Contains("busy", refused.Message);

        foreach (var stream in accepted)
        {
            var outcome = await ServingModels.CollectAsync(stream);
            Assert.Equal(FinishReason.Length, outcome.Reason);
            Assert.Equal(20, outcome.Tokens.Length);
        }
        Assert.Equal(FinishReason.Length, await scheduler.Submit(new GenerationRequest { Prompt = [1], MaxTokens = 1 }).Completion);
    }

    [Fact]
    public async Task Generation_ends_at_the_context_with_its_reason()
    {
        using var model = ServingModels.Stories260K();
        int context = model.Config.MaxPositions;
        using var scheduler = new Scheduler(model);
        var prompt = Enumerable.Repeat(1, context - 5).ToArray();

        var outcome = await ServingModels.CollectAsync(scheduler.Submit(new GenerationRequest { Prompt = prompt, MaxTokens = 100 }));

        Assert.Equal(FinishReason.ContextFull, outcome.Reason);
        Assert.Equal(context + 1 - prompt.Length, outcome.Tokens.Length);
    }

    [Fact]
    public async Task A_stop_token_ends_generation_without_being_emitted()
    {
        using var model = ServingModels.Stories260K();
        using var scheduler = new Scheduler(model);
        var free = await ServingModels.CollectAsync(scheduler.Submit(new GenerationRequest { Prompt = [1, 403], MaxTokens = 30 }));
        int stop = free.Tokens[5];

        var stopped = await ServingModels.CollectAsync(scheduler.Submit(new GenerationRequest { Prompt = [1, 403], MaxTokens = 30, StopTokens = [stop] }));

        Assert.Equal(FinishReason.Stop, stopped.Reason);
        Assert.Equal(free.Tokens.TakeWhile(t => t != stop), stopped.Tokens);
    }

    [Fact]
    public void Bad_requests_are_refused_naming_the_problem()
    {
        using var model = ServingModels.Stories260K();
        using var scheduler = new Scheduler(model);
        Assert.Contains("vocabulary", Assert.ThrowsAny<ArgumentException>(() => scheduler.Submit(new GenerationRequest { Prompt = [1, 512], MaxTokens = 5 })).Message);
        Assert.Contains("at least one", Assert.ThrowsAny<ArgumentException>(() => scheduler.Submit(new GenerationRequest { Prompt = [], MaxTokens = 5 })).Message);
        Assert.Contains("max tokens", Assert.ThrowsAny<ArgumentException>(() => scheduler.Submit(new GenerationRequest { Prompt = [1], MaxTokens = 0 })).Message);
        Assert.Contains("top logprobs", Assert.ThrowsAny<ArgumentException>(() => scheduler.Submit(new GenerationRequest { Prompt = [1], MaxTokens = 1, TopLogprobs = 21 })).Message);
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_fails_its_stream()
    {
        using var model = ServingModels.Stories260K();
        using var scheduler = new Scheduler(model);
        var stream = scheduler.Submit(new GenerationRequest { Prompt = Enumerable.Repeat(1, model.Config.MaxPositions + 1).ToArray(), MaxTokens = 1 });
        await Assert.ThrowsAsync<ContextOverflowException>(() => stream.Completion);
    }
}
