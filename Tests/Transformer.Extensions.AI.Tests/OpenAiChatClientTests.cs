using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;
using Transformer.Server;
using Transformer.Serving;
using Transformer.Text;

namespace Transformer.Extensions.AI.Tests;

/// <summary>
/// OpenAI's own IChatClient (Microsoft.Extensions.AI.OpenAI) pointed at our server goes through the same
/// abstraction, and gives what the in-process client gives: two independent paths from ChatOptions to the engine.
/// </summary>
public sealed class OpenAiChatClientTests(Stories260KChat chat) : IClassFixture<Stories260KChat>
{
    private static readonly ChatMessage[] Conversation = [new(ChatRole.System, "You tell short stories."), new(ChatRole.User, "Tell me about a little bird.")];

    [Fact]
    public async Task OpenAI_s_IChatClient_against_the_server_replies_as_the_in_process_client_does()
    {
        var local = chat.Client; // skips without ../shared
        await using var server = InferenceServer.Create(new ServerOptions
        {
            ModelPath = SharedModels.Stories260K,
            Port = 0,
            Model = new LanguageModelOptions { Threads = 1 },
            Serving = new ServingOptions { MaxSequences = 8, QueueLimit = 8 },
            ChatTemplatePath = Stories260KChat.ChatMlTemplate,
        });
        await server.StartAsync();
        await server.ModelLoaded.WaitAsync(TimeSpan.FromSeconds(60));
        using IChatClient remote = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") })
            .GetChatClient("stories260K").AsIChatClient();

        ChatOptions[] cases =
        [
            new() { Temperature = 0, MaxOutputTokens = 40 },
            new() { Temperature = 0.9f, TopP = 0.8f, Seed = 21, FrequencyPenalty = 0.7f, PresencePenalty = -0.4f, MaxOutputTokens = 40 },
            new() { Temperature = 0, MaxOutputTokens = 60, StopSequences = ["."] },
        ];
        foreach (var options in cases)
        {
            var expected = await local.GetResponseAsync(Conversation, options);
            var viaServer = await remote.GetResponseAsync(Conversation, options.Clone());
            Assert.Equal(expected.Text, viaServer.Text);
            Assert.Equal(expected.FinishReason, viaServer.FinishReason);
            Assert.Equal(expected.Usage!.InputTokenCount, viaServer.Usage!.InputTokenCount);
            Assert.Equal(expected.Usage.OutputTokenCount, viaServer.Usage.OutputTokenCount);

            var streamed = await remote.GetStreamingResponseAsync(Conversation, options.Clone()).ToChatResponseAsync();
            Assert.Equal(expected.Text, streamed.Text);
        }
    }
}
