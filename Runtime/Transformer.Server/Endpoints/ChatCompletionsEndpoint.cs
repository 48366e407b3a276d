using Microsoft.AspNetCore.Http;
using Transformer.Server.Api;
using Transformer.Server.Caching;
using Transformer.Server.Generation;
using Transformer.Server.Prompts;

namespace Transformer.Server.Endpoints;

/// <summary>POST /v1/chat/completions: renders the conversation with the model's chat template and generates n choices.</summary>
internal static class ChatCompletionsEndpoint
{
    public static async Task HandleAsync(HttpContext context, ServerContext server)
    {
        var aborted = context.RequestAborted;
        var model = server.Host.Require();
        var (body, json) = await RequestBody.ReadAsync(context.Request, ServerJsonContext.Api.ChatCompletionBody, server.Options.MaxRequestBodyBytes, aborted).ConfigureAwait(false);
        model = server.ModelFor(body.Model);

        if (body.TopLogprobs is { } top)
        {
            if (body.Logprobs != true) throw ApiException.InvalidField("top_logprobs", "'top_logprobs' needs 'logprobs': true");
            if (top is < 0 or > Serving.GenerationRequest.MaxTopLogprobs)
                throw ApiException.InvalidField("top_logprobs", $"'top_logprobs' must be between 0 and {Serving.GenerationRequest.MaxTopLogprobs}, not {top}");
        }
        // max_completion_tokens is OpenAI's newer name for max_tokens; it wins when both are sent.
        var maxTokens = body.MaxCompletionTokens is { } completion ? ("max_completion_tokens", (int?)completion) : ("max_tokens", body.MaxTokens);
        var settings = GenerationSettings.Read(body, maxTokens, body.Logprobs == true ? body.TopLogprobs ?? 0 : null);

        ChatMessages.Check(json);
        if (model.Chat is not { } chat)
        {
            throw new ApiException(StatusCodes.Status400BadRequest,
                $"{model.ChatMissingReason}; serve it with --chat-template FILE, or use /v1/completions with a plain prompt",
                "invalid_request_error", "chat_template_missing", "messages");
        }
        var tokens = chat.Render(json, addGenerationPrompt: true, aborted).Encode(model.Tokenizer);
        if (tokens.Count == 0) throw ApiException.InvalidField("messages", "the rendered conversation encodes to no tokens");

        var choices = Enumerable.Range(0, settings.N)
            .Select(i => new ChoiceRequest(0, settings.RequestFor(tokens, i, model.ContextLength, model.StopTokens, "messages"), settings.StopStrings))
            .ToList();
        var shape = new ChatShape(ServerContext.NewId("chatcmpl-"), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), model.Id, model.Fingerprint, settings.TopLogprobs is not null);
        await CachingResponder.RespondAsync(context, server, model, choices, settings, shape).ConfigureAwait(false);
    }
}
