using System.Diagnostics;

namespace Transformer.Server.Tests;

/// <summary>Many concurrent streams: no errors, and every output the same, bit for bit, as the request run alone.</summary>
public sealed class LoadTests
{
    private const int Distinct = 64, Repeats = 4, Concurrency = 64, MaxTokens = 16;

    [Fact]
    public async Task Sixty_four_concurrent_streams_equal_their_solo_runs_bitwise()
    {
        await using var server = await TestServer.StartAsync();

        // Alone: one request at a time, nothing else running.
        var soloClock = Stopwatch.StartNew();
        var solo = new Requests.Outcome[Distinct];
        for (int i = 0; i < Distinct; i++)
            solo[i] = Requests.FromWhole(await server.PostJsonAsync("v1/completions", Requests.Completion(i, stream: false, MaxTokens)));

        var soloTime = soloClock.Elapsed;
        // Together: every distinct request several times, half streamed, 64 in flight at once.
        var clock = Stopwatch.StartNew();
        using var gate = new SemaphoreSlim(Concurrency);
        int errors = 0;
        var together = await Task.WhenAll(Enumerable.Range(0, Distinct * Repeats).Select(async k =>
        {
            int i = k % Distinct;
            bool stream = k / Distinct % 2 == 0;
            await gate.WaitAsync();
            try
            {
                using var response = await server.PostAsync("v1/completions", Requests.Completion(i, stream, MaxTokens));
                string body = await response.Content.ReadAsStringAsync();
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref errors);
                    return (i, (Requests.Outcome?)null, body);
                }
                return (i, stream ? Requests.FromStream(body) : Requests.FromWhole(System.Text.Json.JsonDocument.Parse(body).RootElement), body);
            }
            finally
            {
                gate.Release();
            }
        }));
        clock.Stop();

        if (errors > 0) Assert.Fail($"{errors} requests failed, e.g. {together.First(t => t.Item2 is null).body}");
        int equal = 0;
        foreach (var (i, outcome, _) in together)
        {
            Assert.True(solo[i] == outcome, $"request {i}: alone {solo[i]} {solo[i].Logprobs}\nbeside others {outcome} {outcome!.Logprobs}");
            equal++;
        }
        var metrics = await server.MetricsAsync();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"load: {together.Length} requests ({Distinct} distinct × {Repeats}), {Concurrency} concurrent, {errors} errors, {equal} equal to their solo runs, " +
            $"{clock.Elapsed.TotalSeconds:F2} s (the solo runs: {soloTime.TotalSeconds:F2} s); prefix-cache hit ratio {metrics.Value("transformer_prefix_cache_hit_ratio"):F3}, preemptions {metrics.Value("transformer_preemptions_total")}");
        Assert.Equal(Distinct * Repeats, equal);
        Assert.Equal(0, metrics.Value("transformer_running_sequences"));
    }
}
