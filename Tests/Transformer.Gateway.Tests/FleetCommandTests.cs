using System.Text;
using Transformer.Cli;
using Transformer.ResponseCache;
using Transformer.Server;
using Transformer.Server.Tests;
using Transformer.Serving;
using Transformer.Text;

namespace Transformer.Gateway.Tests;

/// <summary>The fleet commands of the CLI: `precache` filling a shared Redis that a replica then answers from, and `gateway`'s checks of its input.</summary>
public sealed class FleetCommandTests
{
    private static async Task<(int Exit, string Error)> CliAsync(params string[] args)
    {
        using var output = new MemoryStream();
        using var error = new StringWriter { NewLine = "\n" };
        int exit = await TransformerCli.InvokeAsync(args, new CliContext(output, error), TestContext.Current.CancellationToken);
        return (exit, error.ToString());
    }

    [Fact]
    public async Task Precache_fills_the_shared_cache_that_a_replica_then_answers_from()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        using var redis = RedisServer.Start();
        const string request = """{"messages":[{"role":"system","content":"You tell short stories."},{"role":"user","content":"A story about a kite."}],"max_tokens":20,"temperature":0}""";
        string file = Path.Combine(Path.GetTempPath(), $"fleet-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(file, request + "\n");
        try
        {
            var (exit, error) = await CliAsync("precache", "--model", SharedModels.Stories260K, "--requests", file, "--response-cache", redis.Url,
                "--chat-template", Fleet.ChatMlTemplate, "--threads", "1", "--device", "cpu");
            Assert.True(exit == 0, error);
            Assert.Contains($"precache: 1 of 1 responses in redis 127.0.0.1:{redis.Port} (1 computed, 0 already there)", error);

            await using var replica = InferenceServer.Create(new ServerOptions
            {
                ModelPath = SharedModels.Stories260K,
                Port = 0,
                Model = new LanguageModelOptions { Threads = 1 },
                ChatTemplatePath = Fleet.ChatMlTemplate,
                ResponseCache = new ResponseCacheOptions { Redis = RedisEndpoint.Parse(redis.Url) },
            });
            await replica.StartAsync();
            await replica.ModelLoaded.WaitAsync(TimeSpan.FromSeconds(60));
            using var http = new HttpClient { BaseAddress = replica.BaseAddress };
            using var response = await http.PostAsync("v1/chat/completions", new StringContent(request, Encoding.UTF8, "application/json"));
            Assert.Equal(200, (int)response.StatusCode);
            Assert.Equal("hit", Assert.Single(response.Headers.GetValues("X-Transformer-Cache")));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Precache_refuses_a_cache_that_is_not_shared_and_a_request_that_is_not_deterministic()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        string file = Path.Combine(Path.GetTempPath(), $"fleet-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(file, """{"prompt":"Hi","max_tokens":4}""" + "\n");
        try
        {
            var memory = await CliAsync("precache", "--model", SharedModels.Stories260K, "--requests", file, "--response-cache", "memory");
            Assert.Equal(1, memory.Exit);
            Assert.Contains("redis://HOST:PORT", memory.Error);

            using var redis = RedisServer.Start();
            var random = await CliAsync("precache", "--model", SharedModels.Stories260K, "--requests", file, "--response-cache", redis.Url, "--threads", "1", "--device", "cpu");
            Assert.Equal(1, random.Exit);
            Assert.Contains(":1: not deterministic", random.Error);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Gateway_needs_replicas_given_as_http_urls()
    {
        var none = await CliAsync("gateway", "--port", "0");
        Assert.Equal(2, none.Exit);
        Assert.Contains("--replica", none.Error);

        var bad = await CliAsync("gateway", "--port", "0", "--replica", "ftp://example.com");
        Assert.Equal(1, bad.Exit);
        Assert.Contains("'ftp://example.com' is not an http:// or https:// URL", bad.Error);

        var cache = await CliAsync("serve", "--model", "models/none", "--response-cache", "memcached://x:1");
        Assert.Equal(2, cache.Exit);
        Assert.Contains("--response-cache", cache.Error);
    }
}
