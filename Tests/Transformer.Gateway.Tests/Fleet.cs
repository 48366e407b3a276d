using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Transformer.Gateway.Affinity;
using Transformer.Server;
using Transformer.Server.Tests;
using Transformer.Serving;
using Transformer.Text;

namespace Transformer.Gateway.Tests;

/// <summary>Replicas of stories260K (in-process servers, or `transformer serve` processes that can be killed) behind a gateway, all on loopback.</summary>
internal static class Fleet
{
    public static string ChatMlTemplate => Path.Combine(AppContext.BaseDirectory, "TestData", "chatml.jinja");

    public static async Task<InferenceServer> StartReplicaAsync()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        var server = InferenceServer.Create(new ServerOptions
        {
            ModelPath = SharedModels.Stories260K,
            Port = 0,
            Model = new LanguageModelOptions { Threads = 1 },
            Serving = new ServingOptions { MaxSequences = 32, QueueLimit = 64 },
            ChatTemplatePath = ChatMlTemplate,
        });
        await server.StartAsync();
        await server.ModelLoaded.WaitAsync(TimeSpan.FromSeconds(60));
        return server;
    }

    public static Task<InferenceGateway> StartGatewayAsync(params Uri[] replicas) => StartGatewayAsync(GatewayRouting.PrefixAffinity, replicas);

    public static Task<InferenceGateway> StartGatewayAsync(GatewayRouting routing, params Uri[] replicas) =>
        StartGatewayAsync(routing, new GatewayOptions { Replicas = replicas }.AffinityLoadFactor, replicas);

    /// <summary>A gateway whose bounded load lets a replica hold <paramref name="affinityLoadFactor"/> times the mean in flight.</summary>
    public static async Task<InferenceGateway> StartGatewayAsync(GatewayRouting routing, double affinityLoadFactor, params Uri[] replicas)
    {
        var gateway = InferenceGateway.Create(new GatewayOptions
        {
            Replicas = replicas,
            Routing = routing,
            AffinityLoadFactor = affinityLoadFactor,
            Port = 0,
            HealthCheckInterval = TimeSpan.FromMilliseconds(250),
            HealthCheckTimeout = TimeSpan.FromSeconds(1),
            ReactivationPeriod = TimeSpan.FromSeconds(1),
        });
        await gateway.StartAsync();
        return gateway;
    }

    /// <summary>The replica (0 or 1 of two) the ring gives a chat whose system message is <paramref name="system"/>.</summary>
    public static int HomeOf(string system) =>
        new HashRing(["replica-0", "replica-1"]).Walk(AffinityKey.Hash($"system\n{system}\n")).First() == "replica-0" ? 0 : 1;

    public static string Chat(string system, string user, int maxTokens, bool stream = false) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["messages"] = new[] { new { role = "system", content = system }, new { role = "user", content = user } },
            ["max_tokens"] = maxTokens,
            ["temperature"] = 0,
            ["stream"] = stream,
        });

    public static async Task<(int Status, string Body)> PostAsync(HttpClient http, string path, string json)
    {
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static async Task<PrometheusText> MetricsAsync(HttpClient http, Uri root) => PrometheusText.Parse(await http.GetStringAsync(new Uri(root, "metrics")));

    /// <summary>Requests the gateway forwarded to <paramref name="replica"/> (all), or chose it for by <paramref name="choice"/>.</summary>
    public static double Picks(PrometheusText metrics, Uri replica, string? choice = null) =>
        choice is null
            ? metrics.Sum("transformer_gateway_requests_total", ("replica", replica.ToString().TrimEnd('/')))
            : metrics.Sum("transformer_gateway_routing_total", ("replica", replica.ToString().TrimEnd('/')), ("choice", choice));

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out after {seconds} s waiting for {what}");
            await Task.Delay(50);
        }
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>A `transformer serve` replica in a process of its own, so a test can kill it as a crash would.</summary>
internal sealed class ReplicaProcess : IDisposable
{
    private Process? _process;

    public ReplicaProcess(int port) => Url = new Uri($"http://127.0.0.1:{port}/");

    public Uri Url { get; }

    public async Task StartAsync(HttpClient http)
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                Path.Combine(AppContext.BaseDirectory, "transformer.dll"), "serve", "--model", SharedModels.Stories260K, "--port", Url.Port.ToString(),
                "--chat-template", Fleet.ChatMlTemplate, "--threads", "1", "--device", "cpu",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await Fleet.WaitUntilAsync(async () =>
        {
            Assert.False(_process.HasExited, $"transformer serve exited with {(_process.HasExited ? _process.ExitCode : 0)}");
            try { return (await http.GetAsync(new Uri(Url, "health"))).IsSuccessStatusCode; }
            catch (HttpRequestException) { return false; }
        }, $"the replica on port {Url.Port} to serve", seconds: 60);
    }

    public void Kill()
    {
        if (_process is null) return;
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    public void Dispose() => Kill();
}
