using System.Text.Json.Nodes;

namespace Transformer.ChatTemplates;

/// <summary>
/// A model's chat template with the special tokens its tokenizer gives the template (<c>bos_token</c>,
/// <c>eos_token</c>) and whether that tokenizer adds BOS itself (<c>add_bos_token</c>), which a caller needs to
/// avoid a second BOS when the template already writes one.
/// </summary>
public sealed record ModelChatTemplate
{
    /// <summary>The parsed template.</summary>
    public required ChatTemplate Template { get; init; }

    /// <summary>The BOS text from tokenizer_config.json, or null.</summary>
    public string? BosToken { get; init; }

    /// <summary>The EOS text from tokenizer_config.json, or null.</summary>
    public string? EosToken { get; init; }

    /// <summary>tokenizer_config.json's <c>add_bos_token</c>, or null when it does not say.</summary>
    public bool? AddBosToken { get; init; }

    /// <summary>Renders a conversation.</summary>
    /// <exception cref="ChatTemplateException">Rendering failed, or the template refused the conversation.</exception>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, JsonArray? tools = null,
        IReadOnlyDictionary<string, JsonNode?>? extraVariables = null, DateTime? now = null, CancellationToken cancellation = default) =>
        Template.Render(new ChatTemplateInput
        {
            Messages = messages,
            Tools = tools,
            AddGenerationPrompt = addGenerationPrompt,
            BosToken = BosToken,
            EosToken = EosToken,
            ExtraVariables = extraVariables,
            Now = now,
        }, cancellation);

    /// <summary>Renders a chat request's messages, tools and chat_template_kwargs.</summary>
    /// <exception cref="ChatTemplateException">Rendering failed, or the template refused the conversation.</exception>
    /// <exception cref="ArgumentException">chat_template_kwargs tries to set messages, tools, documents or add_generation_prompt.</exception>
    public string Render(ChatRequest request, bool addGenerationPrompt, DateTime? now = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var extra = request.TemplateKwargs?.ToDictionary(p => p.Key, p => p.Value);
        return Render(request.Messages, addGenerationPrompt, request.Tools, extra, now, cancellation);
    }
}
