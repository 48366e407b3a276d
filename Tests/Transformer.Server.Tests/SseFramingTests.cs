using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Transformer.Server.Tests;

/// <summary>The bytes of a streamed response, read without a client library.</summary>
public sealed class SseFramingTests(DefaultServer fixture) : IClassFixture<DefaultServer>
{
    /// <summary>Reads a whole SSE response and splits it into events (each the text before a blank line).</summary>
    internal static async Task<(HttpResponseMessage Response, List<string> Events, string Raw)> StreamAsync(TestServer server, string path, string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        string raw = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("\n\n", raw);
        return (response, [.. raw[..^2].Split("\n\n")], raw);
    }

    private static JsonElement Data(string e)
    {
        Assert.StartsWith("data: ", e);
        return JsonDocument.Parse(e["data: ".Length..]).RootElement.Clone();
    }

    [Fact]
    public async Task A_chat_stream_opens_with_the_role_carries_content_ends_with_usage_and_done()
    {
        var server = await fixture.GetAsync();
        var (response, events, _) = await StreamAsync(server, "v1/chat/completions",
            """{"model":"stories260K","messages":[{"role":"user","content":"Once upon a time"}],"stream":true,"stream_options":{"include_usage":true},"max_tokens":20,"temperature":0}""");

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events.Where(e => !e.StartsWith(':')).SkipLast(1).Select(Data).ToList();

        var first = chunks[0].GetProperty("choices")[0];
        Assert.Equal("assistant", first.GetProperty("delta").GetProperty("role").GetString());
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
        Assert.All(chunks.Skip(1), c => Assert.False(c.GetProperty("choices").EnumerateArray().Any(x => x.GetProperty("delta").TryGetProperty("role", out _)), "only the first delta carries the role"));

        var usage = chunks[^1];
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        var counts = usage.GetProperty("usage");
        Assert.Equal(counts.GetProperty("prompt_tokens").GetInt32() + counts.GetProperty("completion_tokens").GetInt32(), counts.GetProperty("total_tokens").GetInt32());
        Assert.True(counts.GetProperty("prompt_tokens_details").TryGetProperty("cached_tokens", out _));

        var finish = chunks[^2].GetProperty("choices")[0];
        Assert.Equal(JsonValueKind.Object, finish.GetProperty("delta").ValueKind);
        Assert.Contains(finish.GetProperty("finish_reason").GetString(), new[] { "stop", "length" });

        var contentChunks = chunks.Skip(1).SkipLast(2).ToList();
        Assert.NotEmpty(contentChunks);
        Assert.All(contentChunks, c => Assert.Equal(JsonValueKind.Null, c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind));

        // The streamed text is the non-streamed response's.
        var whole = await server.PostJsonAsync("v1/chat/completions",
            """{"model":"stories260K","messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":20,"temperature":0}""");
        string streamed = string.Concat(contentChunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString()));
        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), streamed);
        Assert.Equal(whole.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), counts.GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task A_completion_stream_without_include_usage_has_no_usage_chunk()
    {
        var server = await fixture.GetAsync();
        var (_, events, raw) = await StreamAsync(server, "v1/completions", """{"prompt":"Lily","stream":true,"max_tokens":8,"temperature":0,"n":2}""");

        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events.SkipLast(1).Select(Data).ToList();
        Assert.All(chunks, c => Assert.Equal("text_completion", c.GetProperty("object").GetString()));
        Assert.All(chunks, c => Assert.False(c.TryGetProperty("usage", out _)));
        Assert.Equal(2, chunks.Count(c => c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind == JsonValueKind.String));
        Assert.Equal([0, 1], chunks.Select(c => c.GetProperty("choices")[0].GetProperty("index").GetInt32()).Distinct().Order());
        Assert.DoesNotContain("\r", raw);
    }

    [Fact]
    public async Task A_long_wait_is_kept_alive_with_comment_pings()
    {
        var options = TestServer.Options(new Serving.ServingOptions { MaxSequences = 1, QueueLimit = 4 }) with { PingInterval = TimeSpan.FromMilliseconds(20) };
        await using var server = await TestServer.StartAsync(options);
        // The first request holds the only place long enough for the queued one to be pinged.
        var busy = server.PostAsync("v1/completions", """{"prompt":"Once","max_tokens":400,"temperature":0}""");
        await server.WaitForMetricsAsync(m => m.Value("transformer_running_sequences") == 1, "the first request to run");
        var (_, events, _) = await StreamAsync(server, "v1/completions", """{"prompt":"Lily","stream":true,"max_tokens":4,"temperature":0}""");
        (await busy).Dispose();

        Assert.Contains(": ping", events);
        Assert.Equal("data: [DONE]", events[^1]);
        Assert.All(events.Where(e => !e.StartsWith(':')), e => Assert.StartsWith("data: ", e));
    }
}
