using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Transformer.Server.Caching;

/// <summary>How far a pre-caching run is: requests done of the total, and what became of them.</summary>
public sealed record PrecacheProgress(int Done, int Total, int Computed, int AlreadyCached, int Failed);

/// <summary>The outcome of a pre-caching run; <see cref="Failures"/> names each line that failed and why.</summary>
public sealed record PrecacheReport(int Total, int Computed, int AlreadyCached, IReadOnlyList<string> Failures);

/// <summary>
/// Fills the response cache from a JSONL file of OpenAI requests, one per line: either a request body (with
/// <c>messages</c> for chat, or <c>prompt</c>) or an OpenAI Batch API line (<c>{"custom_id","method":"POST",
/// "url":"/v1/chat/completions","body":{…}}</c>). Each is sent to the server itself over loopback, so it goes
/// through exactly the validation, rendering and caching a client's request does. A line that is not
/// deterministic (temperature 0 or a seed) is a failure: it could never be answered from the cache.
/// </summary>
internal static class Precache
{
    private const int Parallelism = 8;

    public static async Task<PrecacheReport> RunAsync(Uri server, string path, string? apiKey, IProgress<PrecacheProgress>? progress, CancellationToken cancellation)
    {
        var lines = await File.ReadAllLinesAsync(path, cancellation).ConfigureAwait(false);
        var requests = new List<(int Line, string Url, string Body)>();
        var failures = new List<string>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            try
            {
                requests.Add(Read(i + 1, lines[i]));
            }
            catch (FormatException e)
            {
                failures.Add($"{Path.GetFileName(path)}:{i + 1}: {e.Message}");
            }
        }

        // Lines that did not parse are done (and failed) before anything is sent.
        int done = failures.Count, computed = 0, cached = 0, failed = failures.Count, total = requests.Count + failures.Count;
        var gate = new Lock();
        using var http = new HttpClient { BaseAddress = server, Timeout = Timeout.InfiniteTimeSpan };
        if (apiKey is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        progress?.Report(new PrecacheProgress(done, total, 0, 0, failed));
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellation }, async (request, token) =>
        {
            string? failure = null;
            bool hit = false;
            try
            {
                using var response = await http.PostAsync(request.Url.TrimStart('/'), new StringContent(request.Body, Encoding.UTF8, "application/json"), token).ConfigureAwait(false);
                string body = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
                hit = response.Headers.TryGetValues(CachingResponder.Header, out var values) && values.Contains("hit");
                if (!response.IsSuccessStatusCode) failure = $"{(int)response.StatusCode}: {ErrorMessage(body)}";
            }
            catch (HttpRequestException e)
            {
                failure = e.Message;
            }
            lock (gate)
            {
                done++;
                if (failure is not null) { failed++; failures.Add($"{Path.GetFileName(path)}:{request.Line}: {failure}"); }
                else if (hit) cached++;
                else computed++;
                progress?.Report(new PrecacheProgress(done, total, computed, cached, failed));
            }
        }).ConfigureAwait(false);
        failures.Sort(CompareByLine);
        return new PrecacheReport(total, computed, cached, failures);
    }

    /// <summary>The endpoint and body of one line; throws <see cref="FormatException"/> naming what is wrong.</summary>
    private static (int Line, string Url, string Body) Read(int line, string text)
    {
        JsonObject request;
        try
        {
            request = JsonNode.Parse(text) as JsonObject ?? throw new FormatException("not a JSON object");
        }
        catch (JsonException e)
        {
            throw new FormatException($"not JSON ({e.Message})");
        }
        string? url = null;
        if (request["body"] is JsonObject body)
        {
            url = request["url"]?.GetValueKind() == JsonValueKind.String ? request["url"]!.GetValue<string>() : null;
            if (url is not ("/v1/chat/completions" or "/v1/completions"))
                throw new FormatException($"a batch line's 'url' must be /v1/chat/completions or /v1/completions, not '{url}'");
            request = body;
        }
        url ??= request.ContainsKey("messages") ? "/v1/chat/completions"
            : request.ContainsKey("prompt") ? "/v1/completions"
            : throw new FormatException("a request needs 'messages' (chat) or 'prompt' (completion)");
        double temperature = request["temperature"] is JsonValue t && t.TryGetValue(out double value) ? value : 1;
        if (temperature != 0 && request["seed"] is null)
            throw new FormatException("not deterministic: set \"temperature\": 0 or a \"seed\", or the response can never be answered from the cache");
        // Whole responses are stored either way; a stream would only add framing to discard.
        request.Remove("stream");
        request.Remove("stream_options");
        return (line, url, request.ToJsonString());
    }

    private static string ErrorMessage(string body)
    {
        try
        {
            return JsonNode.Parse(body)?["error"]?["message"]?.GetValue<string>() ?? body;
        }
        catch (JsonException)
        {
            return body.Length > 200 ? body[..200] : body;
        }
    }

    private static int CompareByLine(string a, string b) => LineOf(a).CompareTo(LineOf(b));

    private static int LineOf(string failure)
    {
        var parts = failure.Split(':', 3);
        return parts.Length > 1 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int line) ? line : 0;
    }
}
