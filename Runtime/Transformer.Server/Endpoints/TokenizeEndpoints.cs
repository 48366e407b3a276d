using System.Text;
using Microsoft.AspNetCore.Http;
using Transformer.Server.Api;
using Transformer.Server.Prompts;

namespace Transformer.Server.Endpoints;

/// <summary>POST /tokenize and POST /detokenize, as vLLM has them.</summary>
internal static class TokenizeEndpoints
{
    public static async Task TokenizeAsync(HttpContext context, ServerContext server)
    {
        server.Host.Require();
        var (body, json) = await RequestBody.ReadAsync(context.Request, ServerJsonContext.Api.TokenizeBody, server.Options.MaxRequestBodyBytes, context.RequestAborted).ConfigureAwait(false);
        var model = server.ModelFor(body.Model);
        IReadOnlyList<int> tokens;
        if (body.Messages is not null && body.Prompt is not null) throw ApiException.InvalidBody("send either 'prompt' or 'messages', not both");
        if (body.Messages is not null)
        {
            ChatMessages.Check(json);
            var chat = model.Chat ?? throw new ApiException(StatusCodes.Status400BadRequest, model.ChatMissingReason, "invalid_request_error", "chat_template_missing", "messages");
            tokens = chat.Render(json, body.AddGenerationPrompt ?? true, context.RequestAborted).Encode(model.Tokenizer);
        }
        else
        {
            if (body.Prompt is null) throw ApiException.InvalidField("prompt", "'prompt' (a string) or 'messages' is required");
            tokens = model.Tokenizer.Encode(body.Prompt, addBos: body.AddSpecialTokens ?? true);
        }
        var result = new TokenizeResult(tokens, tokens.Count, model.ContextLength);
        await context.Response.WriteAsJsonAsync(result, ServerJsonContext.Api.TokenizeResult, contentType: "application/json", context.RequestAborted).ConfigureAwait(false);
    }

    public static async Task DetokenizeAsync(HttpContext context, ServerContext server)
    {
        server.Host.Require();
        var (body, _) = await RequestBody.ReadAsync(context.Request, ServerJsonContext.Api.DetokenizeBody, server.Options.MaxRequestBodyBytes, context.RequestAborted).ConfigureAwait(false);
        var model = server.ModelFor(body.Model);
        var ids = body.Tokens ?? throw ApiException.InvalidField("tokens", "'tokens' (an array of token ids) is required");
        var bytes = new List<byte>();
        int previous = -1;
        for (int i = 0; i < ids.Length; i++)
        {
            int token = ids[i];
            if ((uint)token >= (uint)model.VocabSize)
                throw ApiException.InvalidField($"tokens[{i}]", $"'tokens[{i}]' is {token}, outside the vocabulary [0, {model.VocabSize})");
            bytes.AddRange(model.Tokenizer.DecodeBytes(previous, token));
            previous = token;
        }
        var result = new DetokenizeResult(Encoding.UTF8.GetString([.. bytes]));
        await context.Response.WriteAsJsonAsync(result, ServerJsonContext.Api.DetokenizeResult, contentType: "application/json", context.RequestAborted).ConfigureAwait(false);
    }
}
