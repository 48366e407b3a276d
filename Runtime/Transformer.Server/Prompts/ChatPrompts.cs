using Transformer.ChatTemplates;

namespace Transformer.Server.Prompts;

/// <summary>Chooses how chat requests become prompts for the served model.</summary>
internal static class ChatPrompts
{
    /// <summary>
    /// The renderer for --chat-template FILE or the model's own template, or why there is none (chat
    /// completions then get a 400; plain completions still work). A template file that is missing or does
    /// not parse fails the load.
    /// </summary>
    public static (IChatPromptRenderer? Renderer, string? MissingReason) For(ServerOptions options)
    {
        var lookup = ChatTemplateLoader.Find(options.ModelPath, options.ChatTemplatePath);
        return lookup.Template is { } template ? (new TemplateChatRenderer(template), null) : (null, lookup.MissingReason);
    }
}
