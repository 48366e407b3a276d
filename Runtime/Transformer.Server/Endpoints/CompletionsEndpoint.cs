using Microsoft.AspNetCore.Http;
using Transformer.Server.Api;
using Transformer.Server.Caching;
using Transformer.Server.Generation;

namespace Transformer.Server.Endpoints;

/// <summary>POST /v1/completions: continues one or more prompts, n choices each (choice index = prompt × n + i).</summary>
internal static class CompletionsEndpoint
{
    public static async Task HandleAsync(HttpContext context, ServerContext server)
    {
        var aborted = context.RequestAborted;
        server.Host.Require();
        var (body, _) = await RequestBody.ReadAsync(context.Request, ServerJsonContext.Api.CompletionBody, server.Options.MaxRequestBodyBytes, aborted).ConfigureAwait(false);
        var model = server.ModelFor(body.Model);

        if (body.Echo == true) throw ApiException.InvalidField("echo", "'echo' is not supported: the response holds only the generated text");
        if (body.Suffix is not null) throw ApiException.InvalidField("suffix", "'suffix' (insertion) is not supported");
        if (body.Logprobs is { } count && count is < 0 or > Serving.GenerationRequest.MaxTopLogprobs)
            throw ApiException.InvalidField("logprobs", $"'logprobs' must be between 0 and {Serving.GenerationRequest.MaxTopLogprobs}, not {count}");
        var settings = GenerationSettings.Read(body, ("max_tokens", body.MaxTokens), body.Logprobs);

        var prompts = CompletionPrompts.Read(body.Prompt, model);
        if ((long)prompts.Count * settings.N > GenerationSettings.MaxChoices)
            throw ApiException.InvalidField("n", $"{prompts.Count} prompts × n = {prompts.Count * settings.N} choices; at most {GenerationSettings.MaxChoices} are allowed");
        var choices = new List<ChoiceRequest>();
        for (int p = 0; p < prompts.Count; p++)
        {
            string field = prompts.Count == 1 ? "prompt" : $"prompt[{p}]";
            for (int i = 0; i < settings.N; i++)
                choices.Add(new ChoiceRequest(p, settings.RequestFor(prompts[p], i, model.ContextLength, model.StopTokens, field), settings.StopStrings));
        }
        var shape = new TextShape(ServerContext.NewId("cmpl-"), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), model.Id, model.Fingerprint, settings.TopLogprobs is not null);
        await CachingResponder.RespondAsync(context, server, model, choices, settings, shape).ConfigureAwait(false);
    }
}
