using Transformer.Server.Tests;

namespace Transformer.Gateway.Tests;

/// <summary>Two real replicas behind the gateway: prefix affinity, spreading, bounded load, and streams passed through.</summary>
public sealed class AffinityTests
{
    // Long enough to fill several 16-token KV blocks, so a replica that saw it once serves it from its prefix cache.
    private const string Storyteller = "You are a kind storyteller for small children. You tell short, happy stories about animals, toys and friends, with simple words and a good ending every time.";

    [Fact]
    public async Task Requests_sharing_a_system_prompt_meet_on_one_replica_and_its_prefix_cache_while_distinct_prompts_spread()
    {
        await using var a = await Fleet.StartReplicaAsync();
        await using var b = await Fleet.StartReplicaAsync();
        Uri[] replicas = [a.BaseAddress, b.BaseAddress];
        await using var gateway = await Fleet.StartGatewayAsync(replicas);
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

        string[] users = ["Tell me about a cat.", "Tell me about a dog.", "Tell me about a ball.", "Tell me about a bird.", "Tell me about the sea.", "Tell me about a car."];
        foreach (string user in users) Assert.Equal(200, (await Fleet.PostAsync(http, "v1/chat/completions", Fleet.Chat(Storyteller, user, 8))).Status);

        var metrics = await Fleet.MetricsAsync(http, gateway.BaseAddress);
        var home = replicas[Fleet.HomeOf(Storyteller)];
        var away = replicas[1 - Fleet.HomeOf(Storyteller)];
        Assert.Equal(users.Length, Fleet.Picks(metrics, home, "affinity"));
        Assert.Equal(0, Fleet.Picks(metrics, away));
        var homeMetrics = await Fleet.MetricsAsync(http, home);
        Assert.True(homeMetrics.Value("transformer_prefix_cache_hit_tokens_total") >= 16 * (users.Length - 1),
            $"the shared system prompt came from the prefix cache: {homeMetrics.Value("transformer_prefix_cache_hit_tokens_total")} hit tokens");

        for (int i = 0; i < 12; i++)
            Assert.Equal(200, (await Fleet.PostAsync(http, "v1/chat/completions", Fleet.Chat($"You are helper number {i}.", "Hello.", 4))).Status);
        metrics = await Fleet.MetricsAsync(http, gateway.BaseAddress);
        Assert.True(Fleet.Picks(metrics, away) >= 1 && Fleet.Picks(metrics, home) >= users.Length + 1, $"distinct prompts spread over both replicas:\n{metrics.Summary()}");
    }

    [Fact]
    public async Task Routing_by_load_alone_spreads_a_shared_system_prompt_over_the_replicas()
    {
        await using var a = await Fleet.StartReplicaAsync();
        await using var b = await Fleet.StartReplicaAsync();
        Uri[] replicas = [a.BaseAddress, b.BaseAddress];
        await using var gateway = await Fleet.StartGatewayAsync(GatewayRouting.LeastRequests, replicas);
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

        for (int i = 0; i < 6; i++) Assert.Equal(200, (await Fleet.PostAsync(http, "v1/chat/completions", Fleet.Chat(Storyteller, $"Story number {i}.", 4))).Status);

        var metrics = await Fleet.MetricsAsync(http, gateway.BaseAddress);
        foreach (var replica in replicas)
        {
            Assert.Equal(3, Fleet.Picks(metrics, replica, "least_requests"));
            Assert.Equal(0, Fleet.Picks(metrics, replica, "affinity"));
        }
    }

    [Fact]
    public async Task A_hot_prefix_spills_over_to_the_next_replica_instead_of_queueing_on_its_own()
    {
        await using var a = await Fleet.StartReplicaAsync();
        await using var b = await Fleet.StartReplicaAsync();
        Uri[] replicas = [a.BaseAddress, b.BaseAddress];
        await using var gateway = await Fleet.StartGatewayAsync(replicas);
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Fleet.PostAsync(http, "v1/chat/completions", Fleet.Chat(Storyteller, $"Story number {i}.", 200))));

        Assert.All(responses, r => Assert.Equal(200, r.Status));
        var metrics = await Fleet.MetricsAsync(http, gateway.BaseAddress);
        var away = replicas[1 - Fleet.HomeOf(Storyteller)];
        Assert.True(Fleet.Picks(metrics, away, "spilled") >= 1, $"some requests spilled over:\n{metrics.Summary()}");
        Assert.True(Fleet.Picks(metrics, replicas[Fleet.HomeOf(Storyteller)], "affinity") > Fleet.Picks(metrics, away, "spilled"), "most stayed on the prefix's replica");
    }

    [Fact]
    public async Task A_stream_through_the_gateway_is_the_replica_s_stream()
    {
        await using var a = await Fleet.StartReplicaAsync();
        await using var gateway = await Fleet.StartGatewayAsync(a.BaseAddress);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        string body = Fleet.Chat(Storyteller, "A story about a frog.", 30, stream: true);

        var direct = await Fleet.PostAsync(http, new Uri(a.BaseAddress, "v1/chat/completions").ToString(), body);
        var proxied = await Fleet.PostAsync(http, new Uri(gateway.BaseAddress, "v1/chat/completions").ToString(), body);

        Assert.Equal(200, proxied.Status);
        Assert.EndsWith("data: [DONE]\n\n", proxied.Body);
        // Ids and timestamps differ per response; the content does not.
        static string Contents(string sse) => string.Join("", sse.Split("\n\n").Select(e => e.Contains("\"content\":\"") ? e[(e.IndexOf("\"content\":\"") + 11)..].Split('"')[0] : ""));
        Assert.Equal(Contents(direct.Body), Contents(proxied.Body));
        Assert.NotEmpty(Contents(proxied.Body));
    }
}
