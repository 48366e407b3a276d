using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Transformer.Server.Tests;

/// <summary>Every kind of bad request gets the right status and an OpenAI-shaped error naming the problem; the server stays healthy.</summary>
public sealed class BadRequestTests(DefaultServer fixture) : IClassFixture<DefaultServer>
{
    private const string Chat = "v1/chat/completions", Completions = "v1/completions";
    private static readonly string LongPrompt = "[" + string.Join(',', Enumerable.Repeat(100, 600)) + "]";
    private static readonly string Prompt500 = "[" + string.Join(',', Enumerable.Repeat(100, 500)) + "]";

    /// <summary>(path, body, status, code, param, words the message must hold).</summary>
    public static TheoryData<string, string, int, string, string?, string> Cases() => new()
    {
        { Completions, """{"prompt": "x", """, 400, "invalid_request_error", null, "not valid JSON" },
        { Completions, "", 400, "invalid_request_error", null, "not valid JSON" },
        { Completions, "[1, 2]", 400, "invalid_request_error", null, "must be a JSON object" },
        { Completions, """{"prompt":"x","max_tokens":"ten"}""", 400, "invalid_request_error", "max_tokens", "'max_tokens' must be an integer" },
        { Completions, """{"prompt":"x","max_tokens":1000000000000}""", 400, "invalid_request_error", "max_tokens", "2147483647" },
        { Completions, """{"prompt":"x","max_tokens":-5}""", 400, "invalid_request_error", "max_tokens", "at least 1" },
        { Completions, """{"prompt":"x","max_tokens":1000000000}""", 400, "context_length_exceeded", "max_tokens", "512" },
        { Completions, """{"prompt":"x","temperature":"hot"}""", 400, "invalid_request_error", "temperature", "must be a number" },
        { Completions, """{"prompt":"x","temperature":-1}""", 400, "invalid_request_error", "temperature", "between 0 and 2" },
        { Completions, """{"prompt":"x","temperature":1e30}""", 400, "invalid_request_error", "temperature", "between 0 and 2" },
        { Completions, """{"prompt":"x","top_p":0}""", 400, "invalid_request_error", "top_p", "greater than 0" },
        { Completions, """{"prompt":"x","top_p":1.5}""", 400, "invalid_request_error", "top_p", "between 0 and 1" },
        { Completions, """{"prompt":"x","top_k":-3}""", 400, "invalid_request_error", "top_k", "top_k" },
        { Completions, """{"prompt":"x","min_p":2}""", 400, "invalid_request_error", "min_p", "between 0 and 1" },
        { Completions, """{"prompt":"x","frequency_penalty":3}""", 400, "invalid_request_error", "frequency_penalty", "between -2 and 2" },
        { Completions, """{"prompt":"x","presence_penalty":-2.5}""", 400, "invalid_request_error", "presence_penalty", "between -2 and 2" },
        { Completions, """{"prompt":"x","repetition_penalty":0}""", 400, "invalid_request_error", "repetition_penalty", "greater than 0" },
        { Completions, """{"prompt":"x","n":0}""", 400, "invalid_request_error", "n", "between 1 and 128" },
        { Completions, """{"prompt":"x","n":100000}""", 400, "invalid_request_error", "n", "between 1 and 128" },
        { Completions, """{"prompt":"x","seed":"abc"}""", 400, "invalid_request_error", "seed", "must be an integer" },
        { Completions, """{"prompt":"x","seed":99999999999}""", 400, "invalid_request_error", "seed", "between" },
        { Completions, """{"prompt":"x","stream":1}""", 400, "invalid_request_error", "stream", "true or false" },
        { Completions, """{"prompt":"x","stream_options":{"include_usage":"yes"},"stream":true}""", 400, "invalid_request_error", "stream_options.include_usage", "true or false" },
        { Completions, """{"prompt":"x","stop":5}""", 400, "invalid_request_error", "stop", "string or an array" },
        { Completions, """{"prompt":"x","stop":["a",""]}""", 400, "invalid_request_error", "stop[1]", "must not be empty" },
        { Completions, """{"prompt":"x","logprobs":50}""", 400, "invalid_request_error", "logprobs", "between 0 and 20" },
        { Completions, """{"prompt":"x","echo":true}""", 400, "invalid_request_error", "echo", "not supported" },
        { Completions, """{"max_tokens":5}""", 400, "invalid_request_error", "prompt", "'prompt' is required" },
        { Completions, """{"prompt":[]}""", 400, "invalid_request_error", "prompt", "empty" },
        { Completions, """{"prompt":[1, 99999]}""", 400, "invalid_request_error", "prompt[1]", "outside the vocabulary" },
        { Completions, """{"prompt":{"text":"x"}}""", 400, "invalid_request_error", "prompt", "must be a string" },
        { Completions, $$"""{"prompt":{{LongPrompt}}}""", 400, "context_length_exceeded", "prompt", "600 tokens" },
        { Completions, $$"""{"prompt":{{Prompt500}},"max_tokens":100}""", 400, "context_length_exceeded", "max_tokens", "600 were requested (500 in the prompt, 100 in 'max_tokens')" },
        { Completions, """{"model":"gpt-4o","prompt":"x"}""", 404, "model_not_found", "model", "gpt-4o" },
        { Chat, """{"model":"stories260K"}""", 400, "invalid_request_error", "messages", "'messages' is required" },
        { Chat, """{"messages":[]}""", 400, "invalid_request_error", "messages", "at least one message" },
        { Chat, """{"messages":"hello"}""", 400, "invalid_request_error", "messages", "must be an array" },
        { Chat, """{"messages":[{"role":"wizard","content":"x"}]}""", 400, "invalid_request_error", "messages[0].role", "wizard" },
        { Chat, """{"messages":[{"content":"x"}]}""", 400, "invalid_request_error", "messages[0].role", "required" },
        { Chat, """{"messages":[{"role":"user","content":5}]}""", 400, "invalid_request_error", "messages[0].content", "must be a string" },
        { Chat, """{"messages":[{"role":"user","content":"x"}],"top_logprobs":3}""", 400, "invalid_request_error", "top_logprobs", "logprobs" },
        { Chat, """{"messages":[{"role":"user","content":"x"}],"logprobs":true,"top_logprobs":21}""", 400, "invalid_request_error", "top_logprobs", "between 0 and 20" },
        { Chat, """{"messages":[{"role":"user","content":"x"}],"max_completion_tokens":0}""", 400, "invalid_request_error", "max_completion_tokens", "at least 1" },
        { Chat, """{"messages":[{"role":"user","content":"x"}],"chat_template_kwargs":[1]}""", 400, "invalid_request_error", "chat_template_kwargs", "must be an object" },
        { Chat, """{"model":"other","messages":[{"role":"user","content":"x"}]}""", 404, "model_not_found", "model", "other" },
        { "tokenize", """{"tokens":[1]}""", 400, "invalid_request_error", "prompt", "required" },
        { "detokenize", """{"tokens":[1,"a"]}""", 400, "invalid_request_error", "tokens[1]", "integer" },
        { "detokenize", """{"tokens":[1,-4]}""", 400, "invalid_request_error", "tokens[1]", "outside the vocabulary" },
        { "v1/embeddings", """{"input": "hi"}""", 400, "model_not_supported", "model", "generates text and computes no embeddings" },
        { "v1/audio/speech", """{}""", 404, "unknown_url", null, "no endpoint POST /v1/audio/speech" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_bad_request_gets_its_status_and_an_error_naming_the_problem(string path, string body, int status, string code, string? param, string message)
    {
        var server = await fixture.GetAsync();
        using var response = await server.PostAsync(path, body);
        var error = await ErrorOf(response, status);

        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("type").GetString()));
        await AssertHealthy(server);
    }

    internal static async Task<JsonElement> ErrorOf(HttpResponseMessage response, int status)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(text);
        var error = json.RootElement.GetProperty("error");
        Assert.Equal(["message", "type", "param", "code"], error.EnumerateObject().Select(p => p.Name));
        return error.Clone();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_10_MB_body_gets_413_with_a_json_error(bool expectContinue)
    {
        var server = await fixture.GetAsync();
        var body = new byte[10 * 1024 * 1024];
        "{\"prompt\":\""u8.CopyTo(body);
        body.AsSpan(11, body.Length - 13).Fill((byte)'a');
        "\"}"u8.CopyTo(body.AsSpan(body.Length - 2));
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.ExpectContinue = expectContinue;

        using var response = await server.Http.SendAsync(request);
        var error = await ErrorOf(response, 413);

        Assert.Equal("request_too_large", error.GetProperty("code").GetString());
        Assert.Contains("8388608 bytes", error.GetProperty("message").GetString());
        await AssertHealthy(server);
    }

    [Fact]
    public async Task A_model_without_a_chat_template_answers_chat_with_400_and_completions_still_work()
    {
        await using var server = await TestServer.StartAsync(TestServer.Options(chatTemplate: false));

        using var chat = await server.PostAsync(Chat, """{"messages":[{"role":"user","content":"hi"}]}""");
        var error = await ErrorOf(chat, 400);
        Assert.Equal("chat_template_missing", error.GetProperty("code").GetString());
        Assert.Contains("no chat template", error.GetProperty("message").GetString());
        Assert.Contains("--chat-template", error.GetProperty("message").GetString());

        var completion = await server.PostJsonAsync(Completions, """{"prompt":"Lily","max_tokens":5}""");
        Assert.Equal(5, completion.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    private static async Task AssertHealthy(TestServer server)
    {
        using var health = await server.Http.GetAsync("health");
        Assert.Equal(200, (int)health.StatusCode);
        var ok = await server.PostJsonAsync(Completions, """{"prompt":"Lily","max_tokens":3,"temperature":0}""");
        Assert.Equal(3, ok.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }
}
