using System.Net.Http.Headers;
using Transformer.Text;

namespace Transformer.Server.Tests;

/// <summary>The API key, and the 503s while the model loads.</summary>
public sealed class AccessTests
{
    [Fact]
    public async Task With_an_api_key_requests_without_it_get_401_and_probes_stay_open()
    {
        await using var server = await TestServer.StartAsync(TestServer.Options() with { ApiKey = "sesame" });
        const string body = """{"prompt":"Lily","max_tokens":2}""";

        using var missing = await server.PostAsync("v1/completions", body);
        var error = await BadRequestTests.ErrorOf(missing, 401);
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sesame2");
        await BadRequestTests.ErrorOf(await server.Http.SendAsync(wrong), 401);
        using var tokenize = await server.PostAsync("tokenize", """{"prompt":"x"}""");
        await BadRequestTests.ErrorOf(tokenize, 401);

        using var right = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sesame");
        Assert.Equal(200, (int)(await server.Http.SendAsync(right)).StatusCode);
        Assert.Equal(200, (int)(await server.Http.GetAsync("health")).StatusCode);
        Assert.Equal(200, (int)(await server.Http.GetAsync("metrics")).StatusCode);
    }

    [Fact]
    public async Task While_the_model_loads_health_and_the_api_answer_503_then_200()
    {
        using var release = new ManualResetEventSlim();
        var options = TestServer.Options() with
        {
            LoadModel = cancellation =>
            {
                release.Wait(cancellation);
                return LanguageModel.Load(SharedModels.Stories260K, new LanguageModelOptions { Threads = 1 });
            },
        };
        await using var server = await TestServer.StartAsync(options, waitForModel: false);

        using var health = await server.Http.GetAsync("health");
        Assert.Equal(503, (int)health.StatusCode);
        Assert.Contains("loading", await health.Content.ReadAsStringAsync());
        using var completion = await server.PostAsync("v1/completions", """{"prompt":"Lily","max_tokens":2}""");
        var error = await BadRequestTests.ErrorOf(completion, 503);
        Assert.Contains("loading", error.GetProperty("message").GetString());
        Assert.NotNull(completion.Headers.RetryAfter);
        Assert.Equal(0, (await server.MetricsAsync()).Value("transformer_model_loaded"));

        release.Set();
        await server.Server.ModelLoaded.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(200, (int)(await server.Http.GetAsync("health")).StatusCode);
        Assert.Equal(2, (await server.PostJsonAsync("v1/completions", """{"prompt":"Lily","max_tokens":2}""")).GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task A_model_that_fails_to_load_is_reported_by_health()
    {
        var options = TestServer.Options() with { ModelPath = Path.Combine(Path.GetTempPath(), "no-such-model-" + Guid.NewGuid().ToString("N")) };
        await using var server = await TestServer.StartAsync(options, waitForModel: false);
        await Assert.ThrowsAnyAsync<Exception>(() => server.Server.ModelLoaded);

        using var health = await server.Http.GetAsync("health");
        Assert.Equal(503, (int)health.StatusCode);
        Assert.Contains("failed", await health.Content.ReadAsStringAsync());
        Assert.Contains("no-such-model", await health.Content.ReadAsStringAsync());
    }
}
