using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Transformer.Serving;
using Transformer.Text;

namespace Transformer.Server.Tests;

/// <summary>A real Kestrel server on a free loopback port serving stories260K (the test is skipped without ../shared).</summary>
internal sealed class TestServer : IAsyncDisposable
{
    public const string ModelId = "stories260K";

    private TestServer(InferenceServer server, HttpClient http)
    {
        Server = server;
        Http = http;
    }

    public InferenceServer Server { get; }
    public HttpClient Http { get; }
    public Uri BaseAddress => Server.BaseAddress;

    /// <summary>The ChatML template the chat tests serve stories260K with.</summary>
    public static string ChatMlTemplate => Path.Combine(AppContext.BaseDirectory, "TestData", "chatml.jinja");

    /// <summary>Default options: stories260K, a free port, one CPU thread, the ChatML template.</summary>
    public static ServerOptions Options(ServingOptions? serving = null, bool chatTemplate = true)
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        return new ServerOptions
        {
            ModelPath = SharedModels.Stories260K,
            Port = 0,
            Model = new LanguageModelOptions { Threads = 1 },
            Serving = serving ?? new ServingOptions { MaxSequences = 64, QueueLimit = 64 },
            ChatTemplatePath = chatTemplate ? ChatMlTemplate : null,
        };
    }

    /// <summary>Starts a server and, unless told not to, waits for its model.</summary>
    public static async Task<TestServer> StartAsync(ServerOptions? options = null, bool waitForModel = true)
    {
        var server = InferenceServer.Create(options ?? Options());
        await server.StartAsync();
        if (waitForModel) await server.ModelLoaded.WaitAsync(TimeSpan.FromSeconds(60));
        var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
        return new TestServer(server, http);
    }

    public async Task<HttpResponseMessage> PostAsync(string path, string json, CancellationToken cancellation = default) =>
        await Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), cancellation);

    /// <summary>Posts and parses the JSON answer, asserting the status.</summary>
    public async Task<JsonElement> PostJsonAsync(string path, string json, int expectedStatus = 200)
    {
        using var response = await PostAsync(path, json);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expectedStatus, $"POST {path}: expected {expectedStatus}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>The current /metrics scrape, parsed.</summary>
    public async Task<PrometheusText> MetricsAsync() => PrometheusText.Parse(await Http.GetStringAsync("metrics"));

    /// <summary>Polls /metrics until <paramref name="condition"/> holds (30 s at most).</summary>
    public async Task<PrometheusText> WaitForMetricsAsync(Func<PrometheusText, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var metrics = await MetricsAsync();
            if (condition(metrics)) return metrics;
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}; last scrape:\n{metrics.Summary()}");
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}
