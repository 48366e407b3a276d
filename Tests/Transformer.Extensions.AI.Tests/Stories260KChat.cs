using Transformer.ChatTemplates;
using Transformer.Serving;
using Transformer.Text;

namespace Transformer.Extensions.AI.Tests;

/// <summary>stories260K with the ChatML template (it has no template of its own), loaded once for a test class.</summary>
public sealed class Stories260KChat : IDisposable
{
    private readonly Lazy<(LanguageModel Model, TransformerChatClient Client)> _loaded = new(Load);

    public static string ChatMlTemplate => Path.Combine(AppContext.BaseDirectory, "TestData", "chatml.jinja");

    /// <summary>The prompt ChatML renders for a system and a user message, with the generation prompt.</summary>
    public static string Rendered(string system, string user) =>
        $"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n";

    internal LanguageModel Model => Require().Model;
    internal TransformerChatClient Client => Require().Client;

    private (LanguageModel Model, TransformerChatClient Client) Require()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        return _loaded.Value;
    }

    private static (LanguageModel, TransformerChatClient) Load()
    {
        var model = LanguageModel.Load(SharedModels.Stories260K, new LanguageModelOptions { Threads = 1 });
        var template = ChatTemplateLoader.Find(SharedModels.Stories260K, ChatMlTemplate).Require();
        var client = new TransformerChatClient(model, template, new TransformerChatClientOptions { Serving = new ServingOptions { MaxSequences = 16, QueueLimit = 16 } });
        return (model, client);
    }

    public void Dispose()
    {
        if (!_loaded.IsValueCreated) return;
        _loaded.Value.Client.Dispose();
        _loaded.Value.Model.Dispose();
    }
}
