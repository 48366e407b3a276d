using System.Net;

namespace Transformer.Server.Tests;

/// <summary>A full queue answers 429 with Retry-After, and every request it accepted still completes exactly.</summary>
public sealed class OverloadTests
{
    [Fact]
    public async Task Beyond_the_queue_requests_get_429_and_nothing_accepted_is_lost()
    {
        await using var server = await TestServer.StartAsync(TestServer.Options(new Serving.ServingOptions { MaxSequences = 1, QueueLimit = 2 }));
        string body = """{"prompt":"Once upon a time","max_tokens":120,"temperature":0,"logprobs":1}""";
        var solo = Requests.FromWhole(await server.PostJsonAsync("v1/completions", body));

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            using var response = await server.PostAsync("v1/completions", body);
            return (response.StatusCode, response.Headers.RetryAfter, Text: await response.Content.ReadAsStringAsync());
        }));

        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        var accepted = responses.Where(r => r.StatusCode == HttpStatusCode.OK).ToList();
        Assert.Equal(responses.Length, refused.Count + accepted.Count);
        Assert.NotEmpty(refused);
        Assert.True(accepted.Count >= 3, $"only {accepted.Count} accepted: one runs and two wait");
        foreach (var r in refused)
        {
            Assert.NotNull(r.RetryAfter?.Delta);
            Assert.Contains("queue_full", r.Text);
            Assert.Contains("retry later", r.Text);
        }
        foreach (var r in accepted) Assert.Equal(solo, Requests.FromWhole(System.Text.Json.JsonDocument.Parse(r.Text).RootElement));
        var metrics = await server.MetricsAsync();
        Assert.Equal(refused.Count, metrics.Sum("transformer_requests_total", ("endpoint", "/v1/completions"), ("status", "429")));
    }
}
