using Transformer.Text;

namespace Transformer.Server.Prompts;

/// <summary>Chooses how chat requests become prompts for a loaded model.</summary>
internal static class ChatPrompts
{
    /// <summary>The renderer for the model's chat template, or why it has none.</summary>
    public static (IChatPromptRenderer? Renderer, string? MissingReason) For(ServerOptions options, LanguageModel model)
    {
        if (options.ChatRenderer is { } given) return (given, null);
        return (null, "the model has no chat template");
    }
}
