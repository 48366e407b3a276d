using Transformer.Server.Tests;

namespace Transformer.Gateway.Tests;

/// <summary>A replica process killed under load, then restarted: what the clients see and where traffic goes.</summary>
public sealed class ReplicaFailureTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_killed_replica_loses_no_request_that_had_not_started_streaming_and_gets_traffic_back_when_it_returns()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        await using var live = await Fleet.StartReplicaAsync();
        using var doomed = new ReplicaProcess(Fleet.FreePort());
        await doomed.StartAsync(http);
        Uri[] replicas = [live.BaseAddress, doomed.Url];
        // No bounded-load spill: every request for the doomed replica's prefixes must be on it when it dies (with the
        // default 1.25 × mean, the seventh request in flight there would go to the live replica instead).
        await using var gateway = await Fleet.StartGatewayAsync(GatewayRouting.PrefixAffinity, affinityLoadFactor: 100, replicas);
        var api = new Uri(gateway.BaseAddress, "v1/chat/completions").ToString();
        // System prompts the ring sends to the replica that will be killed.
        var toDoomed = Enumerable.Range(0, 200).Select(i => $"You are storyteller {i}.").Where(s => Fleet.HomeOf(s) == 1).Take(8).ToList();

        // Load: requests that do not stream (nothing is sent back until they finish) and one stream, all on the doomed replica.
        var whole = toDoomed.Take(6).Select(s => Fleet.PostAsync(http, api, Fleet.Chat(s, "Tell me a long story.", 400))).ToList();
        var firstEvent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // ignore_eos: the story model may end a story within a few tokens, and a fast replica could then finish the
        // stream between its first event and the kill; 400 tokens past EOS cannot.
        string streamBody = Fleet.Chat(toDoomed[6], "Tell me a long story.", 400, stream: true).TrimEnd('}') + ",\"ignore_eos\":true}";
        var streamTask = StreamAsync(http, api, streamBody, firstEvent);
        await Fleet.WaitUntilAsync(async () => (await Fleet.MetricsAsync(http, doomed.Url)).Value("transformer_running_sequences") >= 3, "requests running on the doomed replica");
        // Killed as soon as the stream has begun.
        await firstEvent.Task.WaitAsync(TimeSpan.FromSeconds(30));
        doomed.Kill();

        var results = await Task.WhenAll(whole);
        var stream = await streamTask;
        var metrics = await Fleet.MetricsAsync(http, gateway.BaseAddress);
        output.WriteLine($"sent {whole.Count} whole requests: {results.Count(r => r.Status == 200)} answered 200; the stream {(stream.Done ? "ended with [DONE]" : $"was cut after {stream.Events} events ({stream.Error})")}");
        output.WriteLine(metrics.Summary());
        Assert.All(results, r => Assert.Equal(200, r.Status));
        Assert.True(metrics.Value("transformer_gateway_retries_total") >= 1, "requests were retried on the live replica");
        Assert.True(Fleet.Picks(metrics, live.BaseAddress) >= metrics.Value("transformer_gateway_retries_total"), "each retry was forwarded to the live replica");
        Assert.False(stream.Done, "a stream cut by the replica's death must not look complete");
        Assert.True(stream.Error is { } error && error.Contains("replica_failed"), $"the cut stream ends with the gateway's error event, not a broken connection: {stream.Error}");
        Assert.Equal(1, metrics.Value("transformer_gateway_cut_streams_total"));

        // Traffic for the dead replica's prefixes goes to the live one, within seconds.
        await Fleet.WaitUntilAsync(async () => (await Fleet.MetricsAsync(http, gateway.BaseAddress)).Sum("transformer_gateway_replica_available", ("replica", doomed.Url.ToString().TrimEnd('/'))) == 0,
            "the gateway to mark the killed replica unavailable", seconds: 5);
        Assert.Equal(200, (await Fleet.PostAsync(http, api, Fleet.Chat(toDoomed[7], "Hello.", 4))).Status);

        // Back on the same port: the health probe takes it in again and its prefixes return to it.
        await doomed.StartAsync(http);
        await Fleet.WaitUntilAsync(async () => (await Fleet.MetricsAsync(http, gateway.BaseAddress)).Sum("transformer_gateway_replica_available", ("replica", doomed.Url.ToString().TrimEnd('/'))) == 1,
            "the gateway to take the restarted replica in again", seconds: 10);
        double before = Fleet.Picks(await Fleet.MetricsAsync(http, gateway.BaseAddress), doomed.Url, "affinity");
        Assert.Equal(200, (await Fleet.PostAsync(http, api, Fleet.Chat(toDoomed[7], "Hello again.", 4))).Status);
        Assert.Equal(before + 1, Fleet.Picks(await Fleet.MetricsAsync(http, gateway.BaseAddress), doomed.Url, "affinity"));
        Assert.Equal(1, (await Fleet.MetricsAsync(http, doomed.Url)).Sum("transformer_requests_total", ("endpoint", "/v1/chat/completions")));
    }

    private static async Task<(bool Done, int Events, string? Error)> StreamAsync(HttpClient http, string url, string body, TaskCompletionSource firstEvent)
    {
        int events = 0;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line == "data: [DONE]") return (true, events, null);
                if (line.StartsWith("data: {\"error\"", StringComparison.Ordinal)) return (false, events, line["data: ".Length..]);
                if (line.StartsWith("data: ", StringComparison.Ordinal) && ++events == 1) firstEvent.TrySetResult();
            }
            return (false, events, "ended without [DONE]");
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return (false, events, e.GetType().Name);
        }
        finally
        {
            firstEvent.TrySetResult(); // a stream that failed before its first event must not leave the test waiting
        }
    }
}
