using System.Text;
using Microsoft.Extensions.AI;
using Transformer.Runtime.Generation;
using Transformer.Runtime.Sampling;

namespace Transformer.Extensions.AI.Tests;

/// <summary>The in-process IChatClient against stories260K: the chat template, the engine's own continuation, options, usage.</summary>
public sealed class ChatClientTests(Stories260KChat chat) : IClassFixture<Stories260KChat>
{
    private const string System = "You tell short stories.";
    private const string User = "Tell me about Lily and her dog.";
    private static readonly ChatMessage[] Conversation = [new(ChatRole.System, System), new(ChatRole.User, User)];

    [Fact]
    public async Task A_greedy_reply_is_the_text_generator_s_continuation_of_the_rendered_conversation()
    {
        var response = await chat.Client.GetResponseAsync(Conversation, new ChatOptions { Temperature = 0, MaxOutputTokens = 40 });

        var stats = new GenerationStats();
        string expected = chat.Model.Complete(Stories260KChat.Rendered(System, User),
            new GenerationOptions { MaxNewTokens = 40, Sampling = SamplingOptions.Greedy }, stats);
        Assert.Equal(expected, response.Text);
        var message = Assert.Single(response.Messages);
        Assert.Equal(ChatRole.Assistant, message.Role);
        Assert.Equal(stats.PromptTokens, response.Usage!.InputTokenCount);
        Assert.Equal(stats.GeneratedTokens, response.Usage.OutputTokenCount);
        Assert.Equal(stats.PromptTokens + stats.GeneratedTokens, response.Usage.TotalTokenCount);
        Assert.Equal(stats.StopReason == StopReason.MaxTokens ? ChatFinishReason.Length : ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal("stories260K", response.ModelId);
    }

    [Fact]
    public async Task Streaming_gives_the_same_text_then_one_update_with_the_finish_reason_and_the_usage()
    {
        var options = new ChatOptions { Temperature = 0.9f, TopP = 0.9f, TopK = 40, Seed = 11, FrequencyPenalty = 0.5f, PresencePenalty = 0.3f, MaxOutputTokens = 30 };
        var whole = await chat.Client.GetResponseAsync(Conversation, options);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in chat.Client.GetStreamingResponseAsync(Conversation, options)) updates.Add(update);

        Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.True(updates.Count > 2, "the reply streams in pieces");
        Assert.All(updates, u => Assert.Equal(ChatRole.Assistant, u.Role));
        Assert.Single(updates.Select(u => u.ResponseId).Distinct());
        var last = updates[^1];
        Assert.Equal(whole.FinishReason, last.FinishReason);
        Assert.All(updates.SkipLast(1), u => Assert.Null(u.FinishReason));
        var usage = Assert.IsType<UsageContent>(Assert.Single(last.Contents)).Details;
        Assert.Equal(whole.Usage!.InputTokenCount, usage.InputTokenCount);
        Assert.Equal(whole.Usage.OutputTokenCount, usage.OutputTokenCount);
        // The streamed updates join back into the same response (the library's own aggregation).
        var joined = updates.ToChatResponse();
        Assert.Equal(whole.Text, joined.Text);
        Assert.Equal(whole.Usage.OutputTokenCount, joined.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Top_k_of_one_is_greedy_even_at_a_high_temperature()
    {
        var greedy = await chat.Client.GetResponseAsync(Conversation, new ChatOptions { Temperature = 0, MaxOutputTokens = 40 });
        var hot = new ChatOptions { Temperature = 1.8f, Seed = 5, MaxOutputTokens = 40 };

        var topOne = await chat.Client.GetResponseAsync(Conversation, new ChatOptions { Temperature = 1.8f, Seed = 5, TopK = 1, MaxOutputTokens = 40 });
        var unrestricted = await chat.Client.GetResponseAsync(Conversation, hot);

        Assert.Equal(greedy.Text, topOne.Text);
        Assert.NotEqual(greedy.Text, unrestricted.Text); // so the equality above is top-k's doing, not the temperature's
    }

    [Fact]
    public async Task A_seed_reproduces_a_sampled_reply_and_another_seed_changes_it()
    {
        var options = new ChatOptions { Temperature = 1, Seed = 42, MaxOutputTokens = 40 };
        var first = await chat.Client.GetResponseAsync(Conversation, options);
        var again = await chat.Client.GetResponseAsync(Conversation, options);
        var other = await chat.Client.GetResponseAsync(Conversation, new ChatOptions { Temperature = 1, Seed = 43, MaxOutputTokens = 40 });

        Assert.Equal(first.Text, again.Text);
        Assert.NotEqual(first.Text, other.Text);
    }

    [Fact]
    public async Task A_stop_sequence_ends_the_reply_before_it_and_is_not_returned()
    {
        var greedy = await chat.Client.GetResponseAsync(Conversation, new ChatOptions { Temperature = 0, MaxOutputTokens = 60 });
        // A word from the middle of the greedy reply: the reply must end just before its first occurrence.
        string[] words = greedy.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(words.Length > 6, $"the greedy reply is long enough to cut: '{greedy.Text}'");
        string stop = words[4];

        var cut = await chat.Client.GetResponseAsync(Conversation, new ChatOptions { Temperature = 0, MaxOutputTokens = 60, StopSequences = [stop] });

        Assert.Equal(greedy.Text[..greedy.Text.IndexOf(stop, StringComparison.Ordinal)], cut.Text);
        Assert.Equal(ChatFinishReason.Stop, cut.FinishReason);
        Assert.True(cut.Usage!.OutputTokenCount < greedy.Usage!.OutputTokenCount, "generation stopped at the stop sequence, not at max tokens");
    }

    [Fact]
    public async Task Max_output_tokens_bounds_the_reply_and_ends_it_as_length()
    {
        var response = await chat.Client.GetResponseAsync(Conversation, new ChatOptions { Temperature = 0, MaxOutputTokens = 3 });

        Assert.Equal(3, response.Usage!.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
    }

    [Fact]
    public async Task Concurrent_calls_share_the_scheduler_and_each_gets_the_reply_it_would_get_alone()
    {
        var users = new[] { "Tell me about a cat.", "Tell me about the sun.", "Tell me about Tom.", "Tell me about a red ball." };
        var options = new ChatOptions { Temperature = 0.8f, Seed = 3, MaxOutputTokens = 30 };
        var alone = new List<string>();
        foreach (var user in users) alone.Add((await chat.Client.GetResponseAsync([new(ChatRole.User, user)], options)).Text);

        var together = await Task.WhenAll(users.Select(u => chat.Client.GetResponseAsync([new(ChatRole.User, u)], options)));

        Assert.Equal(alone, together.Select(r => r.Text));
    }

    [Fact]
    public async Task Instructions_are_rendered_as_a_system_message_first()
    {
        var withInstructions = await chat.Client.GetResponseAsync([new(ChatRole.User, User)], new ChatOptions { Temperature = 0, MaxOutputTokens = 30, Instructions = System });
        var withSystem = await chat.Client.GetResponseAsync(Conversation, new ChatOptions { Temperature = 0, MaxOutputTokens = 30 });

        Assert.Equal(withSystem.Text, withInstructions.Text);
        Assert.Equal(withSystem.Usage!.InputTokenCount, withInstructions.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task Metadata_names_the_provider_and_the_model()
    {
        var metadata = chat.Client.GetService<ChatClientMetadata>();

        Assert.Equal("transformer", metadata!.ProviderName);
        Assert.Equal("stories260K", metadata.DefaultModelId);
        Assert.Same(chat.Model, chat.Client.GetService<Transformer.Text.LanguageModel>());
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Options_the_engine_cannot_honour_are_refused_naming_them()
    {
        var client = chat.Client;
        var seed = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.GetResponseAsync(Conversation, new ChatOptions { Seed = 1L << 40 }));
        Assert.Contains("ChatOptions.Seed", seed.Message);
        var temperature = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.GetResponseAsync(Conversation, new ChatOptions { Temperature = -1 }));
        Assert.Contains("temperature", temperature.Message);
        var tooMany = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.GetResponseAsync(Conversation, new ChatOptions { MaxOutputTokens = 100_000 }));
        Assert.Contains("MaxOutputTokens", tooMany.Message);
        var tools = await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync(Conversation,
            new ChatOptions { Tools = [AIFunctionFactory.Create(() => 1, "one")] }));
        Assert.Contains("Tools", tools.Message);
        var image = await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync(
            [new ChatMessage(ChatRole.User, [new DataContent(new byte[] { 1, 2, 3 }, "image/png")])]));
        Assert.Contains("messages[0]", image.Message);
        var model = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(Conversation, new ChatOptions { ModelId = "gpt-4o" }));
        Assert.Contains("gpt-4o", model.Message);
    }

    [Fact]
    public async Task Cancelling_a_call_ends_it_with_OperationCanceledException()
    {
        using var cancel = new CancellationTokenSource();
        var read = new StringBuilder();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in chat.Client.GetStreamingResponseAsync(Conversation, new ChatOptions { Temperature = 0 }, cancel.Token))
            {
                read.Append(update.Text);
                cancel.Cancel();
            }
        });
        Assert.True(read.Length > 0);
    }
}
