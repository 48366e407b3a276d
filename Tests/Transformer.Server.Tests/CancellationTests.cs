using System.Text;

namespace Transformer.Server.Tests;

/// <summary>Clients that go away, mid-stream or while queued, free their sequences and blocks (seen in /metrics).</summary>
public sealed class CancellationTests
{
    // ignore_eos: a story's end would otherwise finish the request early, and a test of cancellation could pass without it.
    private const string LongStream = """{"prompt":"Once upon a time","max_tokens":480,"temperature":0,"ignore_eos":true,"stream":true}""";

    [Fact]
    public async Task Clients_dropping_mid_stream_and_while_queued_leave_no_running_sequences_or_used_blocks()
    {
        await using var server = await TestServer.StartAsync(TestServer.Options(new Serving.ServingOptions { MaxSequences = 2, QueueLimit = 8, StepTokenBudget = 8 }));
        var output = TestContext.Current.TestOutputHelper;

        // Two streams run; two more wait for a place.
        var running = new List<(HttpResponseMessage Response, Stream Body)>();
        for (int i = 0; i < 2; i++)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = new StringContent(LongStream, Encoding.UTF8, "application/json") };
            var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var body = await response.Content.ReadAsStreamAsync();
            await ReadUntilText(body);
            running.Add((response, body));
        }
        using var dropQueued = new CancellationTokenSource();
        var queued = Enumerable.Range(0, 2).Select(_ => server.PostAsync("v1/completions", """{"prompt":"Lily","max_tokens":480,"ignore_eos":true}""", dropQueued.Token)).ToList();

        var before = await server.WaitForMetricsAsync(m => m.Value("transformer_running_sequences") == 2 && m.Value("transformer_queue_length") == 2, "two running and two queued");
        output?.WriteLine($"before: {Line(before)}");
        Assert.True(before.Value("transformer_kv_blocks_used") > 0);

        // The queued clients give up first (their requests must never start), then the streaming ones hang up.
        dropQueued.Cancel();
        foreach (var q in queued) await Assert.ThrowsAnyAsync<OperationCanceledException>(() => q);
        await server.WaitForMetricsAsync(m => m.Value("transformer_queue_length") == 0, "the queued requests to leave");
        foreach (var (response, body) in running)
        {
            body.Dispose();
            response.Dispose();
        }

        var after = await server.WaitForMetricsAsync(m => m.Value("transformer_running_sequences") == 0 && m.Value("transformer_kv_blocks_used") == 0,
            "no running sequences and no used blocks");
        output?.WriteLine($"after:  {Line(after)}");
        Assert.Equal(0, after.Value("transformer_queue_length"));
        Assert.Equal(after.Value("transformer_kv_blocks_total"), after.Value("transformer_kv_blocks_free"));
        // The queued requests never started (only the two streams had a first token), and the dropped streams
        // stopped long before their 480 tokens.
        Assert.Equal(2, after.Value("transformer_time_to_first_token_seconds_count"));
        Assert.True(after.Value("transformer_generated_tokens_total") < 2 * 480, $"generated {after.Value("transformer_generated_tokens_total")} tokens");

        // And the server still answers.
        var ok = await server.PostJsonAsync("v1/completions", """{"prompt":"Lily","max_tokens":4}""");
        Assert.Equal(4, ok.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task A_client_dropping_a_request_that_does_not_stream_cancels_it()
    {
        await using var server = await TestServer.StartAsync(TestServer.Options(new Serving.ServingOptions { MaxSequences = 2, QueueLimit = 2 }));
        using var drop = new CancellationTokenSource();
        var request = server.PostAsync("v1/completions", """{"prompt":"Once upon a time","max_tokens":480,"temperature":0,"ignore_eos":true}""", drop.Token);
        await server.WaitForMetricsAsync(m => m.Value("transformer_generated_tokens_total") > 0, "the request to generate");
        drop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);

        var after = await server.WaitForMetricsAsync(m => m.Value("transformer_running_sequences") == 0 && m.Value("transformer_kv_blocks_used") == 0, "the request to end");
        Assert.True(after.Value("transformer_generated_tokens_total") < 480, $"generated {after.Value("transformer_generated_tokens_total")} tokens");
    }

    private static async Task ReadUntilText(Stream body)
    {
        // Past the role chunk, at the first chunk with generated text: the sequence is decoding.
        var buffer = new byte[4096];
        var seen = new StringBuilder();
        while (!seen.ToString().Contains("\"text\":\""))
        {
            int read = await body.ReadAsync(buffer);
            Assert.True(read > 0, "the stream ended before any text");
            seen.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
    }

    private static string Line(PrometheusText m) =>
        $"running {m.Value("transformer_running_sequences")}, queued {m.Value("transformer_queue_length")}, " +
        $"KV blocks used {m.Value("transformer_kv_blocks_used")} / free {m.Value("transformer_kv_blocks_free")} / total {m.Value("transformer_kv_blocks_total")}, " +
        $"generated tokens {m.Value("transformer_generated_tokens_total")}";
}
