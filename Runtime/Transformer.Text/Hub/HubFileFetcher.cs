using System.Net;
using System.Net.Http.Headers;

namespace Transformer.Text.Hub;

/// <summary>
/// Fetches single files from the Hub over HTTP. Redirects are followed by hand because the Hub puts the
/// file's identity (<c>X-Repo-Commit</c>, and for large files <c>X-Linked-Etag</c>) on the redirect to its
/// CDN, not on the CDN's answer.
/// </summary>
internal sealed class HubFileFetcher : IDisposable
{
    private const int MaxRedirects = 10;
    private const int BufferSize = 1 << 16;
    private readonly HttpClient _http;

    public HubFileFetcher(HubOptions options)
    {
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = options.ConnectTimeout };
        // No overall timeout: a large file on a slow line may take long; a stalled connect is bounded above.
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("transformer-dotnet", "1.0"));
    }

    /// <summary>Sends the request and follows redirects up to the response carrying the file's bytes.</summary>
    public async Task<HubFileResponse> OpenAsync(Uri url, CancellationToken cancellation)
    {
        string? commit = null, linkedEtag = null;
        long? linkedSize = null;
        var response = await SendAsync(url, hop =>
        {
            commit ??= Header(hop, "X-Repo-Commit");
            linkedEtag ??= Header(hop, "X-Linked-Etag");
            linkedSize ??= long.TryParse(Header(hop, "X-Linked-Size"), out long size) ? size : null;
        }, cancellation).ConfigureAwait(false);

        string? etag = NormalizeEtag(linkedEtag ?? response.Headers.ETag?.Tag ?? Header(response, "ETag"));
        if (etag is null)
        {
            response.Dispose();
            throw new HubDownloadException($"{url}: the server sent no usable ETag, so the file cannot be cached");
        }
        return new HubFileResponse(url, response, commit, etag, response.Content.Headers.ContentLength ?? linkedSize);
    }

    /// <summary>
    /// The body of a small answer (the Hub's JSON API), at most <paramref name="maxBytes"/>: a larger one is an
    /// error rather than an unbounded read.
    /// </summary>
    public async Task<byte[]> GetSmallAsync(Uri url, int maxBytes, CancellationToken cancellation)
    {
        using var response = await SendAsync(url, _ => { }, cancellation).ConfigureAwait(false);
        if (response.Content.Headers.ContentLength > maxBytes)
            throw new HubDownloadException($"{url}: the answer is {response.Content.Headers.ContentLength} bytes, more than the {maxBytes} expected");
        await using var body = await response.Content.ReadAsStreamAsync(cancellation).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[BufferSize];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellation).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw new HubDownloadException($"{url}: the answer is more than the {maxBytes} bytes expected");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Sends a GET and follows redirects, showing every answer (redirects included) to <paramref name="onAnswer"/>.
    /// Returns the first successful answer; an error status is a <see cref="HubDownloadException"/> saying what it means.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(Uri url, Action<HttpResponseMessage> onAnswer, CancellationToken cancellation)
    {
        var current = url;
        for (int hop = 0; hop <= MaxRedirects; hop++)
        {
            var response = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Get, current), HttpCompletionOption.ResponseHeadersRead, cancellation)
                .ConfigureAwait(false);
            onAnswer(response);

            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                response.Dispose();
                current = location.IsAbsoluteUri ? location : new Uri(current, location);
                continue;
            }
            if (!response.IsSuccessStatusCode)
            {
                var status = response.StatusCode;
                string reason = response.ReasonPhrase ?? status.ToString();
                response.Dispose();
                string hint = status switch
                {
                    HttpStatusCode.NotFound => " (no such repository, revision or file)",
                    HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => " (the repository is private or gated)",
                    _ => "",
                };
                throw new HubDownloadException($"{url}: the server answered {(int)status} {reason}{hint}");
            }
            return response;
        }
        throw new HubDownloadException($"{url}: more than {MaxRedirects} redirects");
    }

    /// <summary>
    /// Writes the response body to a temporary file beside <paramref name="destination"/> and renames it into
    /// place only when every byte arrived, so a failed download leaves nothing behind.
    /// </summary>
    public static async Task SaveAsync(HubFileResponse file, string destination, string displayName,
        IProgress<HubDownloadProgress>? progress, CancellationToken cancellation)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        string temp = destination + "." + Guid.NewGuid().ToString("N") + ".incomplete";
        long received = 0;
        try
        {
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
            await using (var body = await file.Response.Content.ReadAsStreamAsync(cancellation).ConfigureAwait(false))
            {
                var buffer = new byte[BufferSize];
                progress?.Report(new HubDownloadProgress(displayName, 0, file.Size, Completed: false));
                int read;
                while ((read = await body.ReadAsync(buffer, cancellation).ConfigureAwait(false)) > 0)
                {
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellation).ConfigureAwait(false);
                    received += read;
                    progress?.Report(new HubDownloadProgress(displayName, received, file.Size, Completed: false));
                }
            }
            if (file.Size is long expected && received != expected)
                throw new HubDownloadException($"{file.Url}: the download ended after {received} of {expected} bytes");
            File.Move(temp, destination, overwrite: true);
            progress?.Report(new HubDownloadProgress(displayName, received, file.Size, Completed: true));
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            string of = file.Size is long total ? $" of {total}" : "";
            throw new HubDownloadException($"{file.Url}: the download broke off after {received}{of} bytes: {e.Message}", e);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Strips the weak-validator prefix and quotes: <c>W/"abc"</c> becomes <c>abc</c>.</summary>
    internal static string? NormalizeEtag(string? etag)
    {
        if (etag is null) return null;
        string tag = etag.Trim();
        if (tag.StartsWith("W/", StringComparison.Ordinal)) tag = tag[2..];
        tag = tag.Trim('"');
        // The ETag becomes a blob's file name: refuse anything that could leave the blobs folder.
        bool safe = tag.Length > 0 && tag != "." && tag != ".." && tag.IndexOfAny(['/', '\\', '\0', ':']) < 0;
        return safe ? tag : null;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? contentValues.FirstOrDefault()
        : null;

    public void Dispose() => _http.Dispose();
}

/// <summary>An open response for one file with the identity the Hub gave it.</summary>
internal sealed record HubFileResponse(Uri Url, HttpResponseMessage Response, string? Commit, string Etag, long? Size) : IDisposable
{
    public void Dispose() => Response.Dispose();
}
