using System.ClientModel;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;
using Transformer.Runtime.Generation;
using Transformer.Runtime.Sampling;
using Transformer.Text;

namespace Transformer.Server.Tests;

/// <summary>The official OpenAI .NET client against the server, streaming and not.</summary>
public sealed class OpenAiClientTests(DefaultServer fixture) : IClassFixture<DefaultServer>
{
    private static OpenAIClientOptions ClientOptions(TestServer server) => new() { Endpoint = new Uri(server.BaseAddress, "v1") };

    private static ChatClient Chat(TestServer server) => new(TestServer.ModelId, new ApiKeyCredential("not-checked"), ClientOptions(server));

    private static readonly ChatMessage[] Conversation = [new SystemChatMessage("You tell short stories."), new UserChatMessage("Tell me about Lily and her dog.")];

    [Fact]
    public async Task A_greedy_chat_completion_is_the_engine_s_own_continuation_of_the_rendered_prompt()
    {
        var server = await fixture.GetAsync();
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 40 };

        ChatCompletion completion = await Chat(server).CompleteChatAsync(Conversation, options);

        // The same prompt, rendered by the ChatML template and run through the single-sequence text generator.
        string prompt = "<|im_start|>system\nYou tell short stories.<|im_end|>\n<|im_start|>user\nTell me about Lily and her dog.<|im_end|>\n<|im_start|>assistant\n";
        using var model = LanguageModel.Load(SharedModels.Stories260K, new LanguageModelOptions { Threads = 1 });
        var stats = new GenerationStats();
        string expected = model.Complete(prompt, new GenerationOptions { MaxNewTokens = 40, Sampling = SamplingOptions.Greedy }, stats);

        Assert.Equal(expected, completion.Content[0].Text);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal(stats.PromptTokens, completion.Usage.InputTokenCount);
        Assert.Equal(stats.GeneratedTokens, completion.Usage.OutputTokenCount);
        Assert.Equal(stats.GeneratedTokens == 40 ? ChatFinishReason.Length : ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(TestServer.ModelId, completion.Model);
        Assert.StartsWith("fp_", completion.SystemFingerprint);
        Assert.StartsWith("chatcmpl-", completion.Id);
    }

    [Fact]
    public async Task Streaming_through_the_client_gives_the_text_logprobs_and_usage_of_the_whole_response()
    {
        var server = await fixture.GetAsync();
        var options = new ChatCompletionOptions
        {
            Temperature = 0.8f, TopP = 0.9f, Seed = 7, MaxOutputTokenCount = 30, IncludeLogProbabilities = true, TopLogProbabilityCount = 3,
        };
        var client = Chat(server);

        ChatCompletion whole = await client.CompleteChatAsync(Conversation, options);
        var text = new System.Text.StringBuilder();
        var logprobs = new List<ChatTokenLogProbabilityDetails>();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in client.CompleteChatStreamingAsync(Conversation, options))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            logprobs.AddRange(update.ContentTokenLogProbabilities);
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.Equal(whole.Content[0].Text, text.ToString());
        Assert.Equal(whole.FinishReason, finish);
        Assert.NotNull(usage); // the client asks for stream_options.include_usage
        Assert.Equal(whole.Usage.OutputTokenCount, usage.OutputTokenCount);
        Assert.Equal(whole.Usage.InputTokenCount, usage.InputTokenCount);
        Assert.Equal(whole.ContentTokenLogProbabilities.Count, logprobs.Count);
        Assert.Equal(whole.Usage.OutputTokenCount, logprobs.Count);
        for (int i = 0; i < logprobs.Count; i++)
        {
            var a = whole.ContentTokenLogProbabilities[i];
            var b = logprobs[i];
            Assert.Equal(a.Token, b.Token);
            Assert.Equal(BitConverter.SingleToInt32Bits(a.LogProbability), BitConverter.SingleToInt32Bits(b.LogProbability));
            Assert.Equal(3, b.TopLogProbabilities.Count);
            Assert.True(b.TopLogProbabilities[0].LogProbability >= b.LogProbability, "the top alternative is at least as likely as the chosen token");
            Assert.Equal(b.Token, System.Text.Encoding.UTF8.GetString(b.Utf8Bytes!.Value.Span));
        }
    }

    [Fact]
    public async Task The_models_list_names_the_served_model()
    {
        var server = await fixture.GetAsync();
        var models = new OpenAIModelClient(new ApiKeyCredential("not-checked"), ClientOptions(server));

        var list = (await models.GetModelsAsync()).Value;

        Assert.Equal(TestServer.ModelId, Assert.Single(list).Id);
    }

    [Fact]
    public async Task A_request_for_another_model_is_a_404_the_client_reports()
    {
        var server = await fixture.GetAsync();
        var client = new ChatClient("gpt-4o", new ApiKeyCredential("not-checked"), ClientOptions(server));

        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync(Conversation));

        Assert.Equal(404, error.Status);
        Assert.Contains("model_not_found", error.Message);
    }
}
