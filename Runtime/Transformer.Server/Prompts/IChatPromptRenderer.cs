using System.Text.Json.Nodes;

namespace Transformer.Server.Prompts;

/// <summary>Turns a chat request body (messages, tools, chat_template_kwargs) into the prompt text the model continues.</summary>
internal interface IChatPromptRenderer
{
    /// <summary>Renders the conversation; throws <see cref="Api.ApiException"/> (400, naming the field) when it cannot.</summary>
    ChatPrompt Render(JsonObject body, bool addGenerationPrompt);
}

/// <summary>Rendered prompt text, and whether the tokenizer should put BOS before it.</summary>
internal sealed record ChatPrompt(string Text, bool AddBos);
