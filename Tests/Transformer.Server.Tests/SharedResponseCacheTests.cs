using System.Diagnostics;
using Transformer.ResponseCache;

namespace Transformer.Server.Tests;

/// <summary>
/// Two replicas sharing responses through a real redis-server, which is killed, restarted and paused mid-test:
/// clients never see an error because of it, and sharing resumes once it answers again.
/// </summary>
public sealed class SharedResponseCacheTests
{
    private static ResponseCacheOptions Shared(RedisServer redis) => new()
    {
        Redis = RedisEndpoint.Parse(redis.Url),
        // Generous against a loaded CI machine, where a healthy Redis answered later than 300 ms and the replica
        // rightly treated it as down (so a response it computed never reached the other replica); the paused-Redis
        // case below still proves a request waits only about this long.
        RedisTimeout = TimeSpan.FromSeconds(2),
        RedisRetryInterval = TimeSpan.FromMilliseconds(200),
    };

    private static string Body(string prompt) => $$"""{"prompt":"{{prompt}}","max_tokens":12,"temperature":0}""";

    private static async Task<double> MetricAsync(TestServer server, string name) => (await server.MetricsAsync()).Value(name);

    [Fact]
    public async Task A_response_computed_by_one_replica_is_a_hit_on_the_other()
    {
        using var redis = RedisServer.Start();
        await using var a = await ResponseCacheTests.StartAsync(Shared(redis));
        await using var b = await ResponseCacheTests.StartAsync(Shared(redis));

        var first = await ResponseCacheTests.PostAsync(a, "v1/completions", Body("The old tree in the park"));
        var other = await ResponseCacheTests.PostAsync(b, "v1/completions", Body("The old tree in the park"));

        Assert.Equal(("miss", "hit"), (first.Cache, other.Cache));
        Assert.Equal(first.Body.Split("\"choices\"")[1].Split("\"usage\"")[0], other.Body.Split("\"choices\"")[1].Split("\"usage\"")[0]);
        Assert.Equal(1, await ResponseCacheTests.CacheResultsAsync(b, "hit_redis"));
        Assert.Equal(0, await ResponseCacheTests.GeneratedTokensAsync(b));
        // The entry is now in B's memory too.
        Assert.Equal("hit", (await ResponseCacheTests.PostAsync(b, "v1/completions", Body("The old tree in the park"))).Cache);
        Assert.Equal(1, await ResponseCacheTests.CacheResultsAsync(b, "hit_memory"));
        Assert.Equal(1, await MetricAsync(a, "transformer_response_cache_redis_up"));

        // A replica whose results may differ in the last bit (f16 KV) has another model identity: no shared hit.
        await using var f16 = await TestServer.StartAsync(TestServer.Options(new Serving.ServingOptions { KvType = Kernels.Backend.KvDType.F16 }) with { ResponseCache = Shared(redis) });
        Assert.Equal("miss", (await ResponseCacheTests.PostAsync(f16, "v1/completions", Body("The old tree in the park"))).Cache);
    }

    [Fact]
    public async Task Redis_killed_restarted_and_paused_never_fails_a_request_and_sharing_resumes()
    {
        using var redis = RedisServer.Start();
        await using var a = await ResponseCacheTests.StartAsync(Shared(redis));
        await using var b = await ResponseCacheTests.StartAsync(Shared(redis));
        Assert.Equal("miss", (await ResponseCacheTests.PostAsync(a, "v1/completions", Body("A frog on a log"))).Cache);

        redis.Kill();
        var whileDown = new List<(int Status, string? Cache)>();
        for (int i = 0; i < 4; i++)
        {
            var r = await ResponseCacheTests.PostAsync(a, "v1/completions", Body($"A duck in a pond {i}"));
            whileDown.Add((r.Status, r.Cache));
        }
        // Served from memory on A; B, whose memory lacks it and cannot reach Redis, computes it.
        var fromMemory = await ResponseCacheTests.PostAsync(a, "v1/completions", Body("A duck in a pond 0"));
        var computed = await ResponseCacheTests.PostAsync(b, "v1/completions", Body("A duck in a pond 0"));

        Assert.All(whileDown, r => Assert.Equal((200, "miss"), r));
        Assert.Equal((200, "hit"), (fromMemory.Status, fromMemory.Cache));
        Assert.Equal((200, "miss"), (computed.Status, computed.Cache));
        Assert.Equal(0, await MetricAsync(a, "transformer_response_cache_redis_up"));
        Assert.True(await MetricAsync(a, "transformer_response_cache_redis_errors_total") >= 1);

        redis.Restart();
        await WaitForRedisAsync(a, "A bee on a rose");
        Assert.Equal("miss", (await ResponseCacheTests.PostAsync(a, "v1/completions", Body("A cow in a field"))).Cache);
        Assert.Equal("hit", (await ResponseCacheTests.PostAsync(b, "v1/completions", Body("A cow in a field"))).Cache);

        // A Redis that stops answering (SIGSTOP) without closing connections: each request waits at most the timeout.
        redis.Pause();
        var clock = Stopwatch.StartNew();
        var whilePaused = await ResponseCacheTests.PostAsync(a, "v1/completions", Body("A fish in a bowl"));
        var pausedFor = clock.Elapsed;
        redis.Resume();

        Assert.Equal((200, "miss"), (whilePaused.Status, whilePaused.Cache));
        Assert.True(pausedFor < TimeSpan.FromSeconds(20), $"a paused Redis held the request for {pausedFor}");
        Assert.Equal(0, await MetricAsync(a, "transformer_response_cache_redis_up"));
        await WaitForRedisAsync(a, "A goat on a hill");
    }

    [Fact]
    public async Task A_server_started_before_its_Redis_serves_at_once_and_shares_once_Redis_is_up()
    {
        using var redis = RedisServer.NotStarted();
        await using var a = await ResponseCacheTests.StartAsync(Shared(redis));

        var early = await ResponseCacheTests.PostAsync(a, "v1/completions", Body("A pig in the mud"));
        Assert.Equal((200, "miss"), (early.Status, early.Cache));

        redis.Restart();
        await WaitForRedisAsync(a, "A hen in a barn");
        await using var b = await ResponseCacheTests.StartAsync(Shared(redis));
        Assert.Equal("miss", (await ResponseCacheTests.PostAsync(a, "v1/completions", Body("A dog in a boat"))).Cache);
        Assert.Equal("hit", (await ResponseCacheTests.PostAsync(b, "v1/completions", Body("A dog in a boat"))).Cache);
    }

    /// <summary>Sends fresh requests until the replica reports Redis up again (it tries once per retry interval).</summary>
    private static async Task WaitForRedisAsync(TestServer server, string prompt)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        for (int i = 0; ; i++)
        {
            var response = await ResponseCacheTests.PostAsync(server, "v1/completions", Body($"{prompt} {i}"));
            Assert.Equal(200, response.Status);
            if (await MetricAsync(server, "transformer_response_cache_redis_up") == 1) return;
            Assert.True(DateTime.UtcNow < deadline, "Redis was not used again within 20 s of answering");
            await Task.Delay(100);
        }
    }
}
