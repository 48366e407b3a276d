using System.Text.Json.Nodes;

namespace Transformer.ChatTemplates;

/// <summary>
/// What a chat template is rendered with, as Hugging Face's <c>apply_chat_template</c> passes it:
/// <c>messages</c>, <c>tools</c> (None when absent), <c>documents</c> (None), <c>add_generation_prompt</c>,
/// the special tokens it knows (<c>bos_token</c>, <c>eos_token</c>), and extra variables such as a request's
/// <c>chat_template_kwargs</c> (<c>enable_thinking</c>), which may override the special tokens but not the others.
/// </summary>
public sealed record ChatTemplateInput
{
    /// <summary>The conversation.</summary>
    public required IReadOnlyList<ChatMessage> Messages { get; init; }

    /// <summary>Tool definitions (JSON objects as the client sent them); null renders <c>tools</c> as None.</summary>
    public JsonArray? Tools { get; init; }

    /// <summary>Ask the template to end with the opening of an assistant turn.</summary>
    public bool AddGenerationPrompt { get; init; }

    /// <summary>The tokenizer's BOS text (<c>&lt;|begin_of_text|&gt;</c>); null leaves <c>bos_token</c> undefined.</summary>
    public string? BosToken { get; init; }

    /// <summary>The tokenizer's EOS text; null leaves <c>eos_token</c> undefined.</summary>
    public string? EosToken { get; init; }

    /// <summary>More variables, e.g. <c>chat_template_kwargs</c>.</summary>
    public IReadOnlyDictionary<string, JsonNode?>? ExtraVariables { get; init; }

    /// <summary>The local time <c>strftime_now</c> reads; null is the current time.</summary>
    public DateTime? Now { get; init; }
}
