using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Transformer.Cli.Bench;

/// <summary>
/// The HTTP side of <c>bench --concurrency --through-server</c>: each prompt is one streamed
/// <c>POST /v1/completions</c> (token ids as the prompt, temperature 0), and every SSE chunk that carries
/// text is one token's arrival. The synthetic vocabulary decodes each token to whole characters, so the
/// server sends exactly one chunk per token.
/// </summary>
public sealed class HttpStreams(Uri baseAddress, string modelId) : IDisposable
{
    private readonly HttpClient _client = new(new SocketsHttpHandler { MaxConnectionsPerServer = 4096, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
    {
        BaseAddress = baseAddress,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>Streams every prompt at once and times each token's arrival.</summary>
    /// <exception cref="InvalidOperationException">The server answered an error, or a stream ended early.</exception>
    public async Task<IReadOnlyList<ConcurrencyBench.StreamTimes>> RunAsync(int[][] prompts, int genTokens, CancellationToken cancellation) =>
        await Task.WhenAll(prompts.Select(p => OneAsync(p, genTokens, cancellation)));

    private async Task<ConcurrencyBench.StreamTimes> OneAsync(int[] prompt, int genTokens, CancellationToken cancellation)
    {
        string body = JsonSerializer.Serialize(new CompletionBody(modelId, prompt, genTokens, 0, true), BenchJsonContext.Default.CompletionBody);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        long submitted = Stopwatch.GetTimestamp();
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"the server answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellation)}");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellation));
        var arrivals = new List<long>(genTokens);
        while (await reader.ReadLineAsync(cancellation) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue; // blank separators, ": ping" comments
            if (line == "data: [DONE]") break;
            using var chunk = JsonDocument.Parse(line.AsMemory(6));
            if (chunk.RootElement.GetProperty("choices") is { ValueKind: JsonValueKind.Array } choices && choices.GetArrayLength() > 0
                && choices[0].GetProperty("text").GetString() is { Length: > 0 })
                arrivals.Add(Stopwatch.GetTimestamp());
        }
        if (arrivals.Count != genTokens)
            throw new InvalidOperationException($"a stream delivered {arrivals.Count} tokens, expected {genTokens}");
        return new ConcurrencyBench.StreamTimes(submitted, arrivals);
    }

    /// <summary>Closes the client's connections.</summary>
    public void Dispose() => _client.Dispose();
}

/// <summary>The body of one streamed completion request.</summary>
public sealed record CompletionBody(
    [property: System.Text.Json.Serialization.JsonPropertyName("model")] string Model,
    [property: System.Text.Json.Serialization.JsonPropertyName("prompt")] int[] Prompt,
    [property: System.Text.Json.Serialization.JsonPropertyName("max_tokens")] int MaxTokens,
    [property: System.Text.Json.Serialization.JsonPropertyName("temperature")] float Temperature,
    [property: System.Text.Json.Serialization.JsonPropertyName("stream")] bool Stream);
