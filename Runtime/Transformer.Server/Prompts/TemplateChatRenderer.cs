using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Transformer.ChatTemplates;
using Transformer.Server.Api;

namespace Transformer.Server.Prompts;

/// <summary>Renders chat requests with the model's Jinja chat template (or the one given with --chat-template).</summary>
internal sealed class TemplateChatRenderer(ModelChatTemplate template) : IChatPromptRenderer
{
    public ChatPrompt Render(JsonObject body, bool addGenerationPrompt, CancellationToken cancellation)
    {
        ChatRequest request;
        try
        {
            request = ChatRequest.FromJson(body);
        }
        catch (ChatRequestException e)
        {
            throw ApiException.InvalidField(e.Field, e.Message);
        }

        try
        {
            return new ChatPrompt(template.Render(request, addGenerationPrompt, cancellation: cancellation), template.AddBosToken);
        }
        catch (ChatTemplateException e)
        {
            // The conversation cannot be rendered by this template (often its own raise_exception, e.g. roles not alternating).
            throw new ApiException(StatusCodes.Status400BadRequest, e.Message, "invalid_request_error", "chat_template_error", "messages");
        }
        catch (ArgumentException e)
        {
            throw ApiException.InvalidField("chat_template_kwargs", e.Message);
        }
    }
}
