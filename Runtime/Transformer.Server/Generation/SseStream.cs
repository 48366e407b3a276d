using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace Transformer.Server.Generation;

/// <summary>
/// A server-sent event stream as OpenAI writes it: <c>data: {json}\n\n</c> per chunk, <c>data: [DONE]\n\n</c>
/// at the end, and <c>: ping\n\n</c> comments (which SSE clients ignore) while nothing else is sent.
/// Every write is flushed, so a chunk reaches the client as soon as its token exists.
/// </summary>
internal sealed class SseStream(HttpResponse response)
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();
    private static readonly byte[] Ping = ": ping\n\n"u8.ToArray();

    public async Task StartAsync(CancellationToken cancellation)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        // Asks reverse proxies (nginx) not to buffer the stream.
        response.Headers["X-Accel-Buffering"] = "no";
        await response.StartAsync(cancellation).ConfigureAwait(false);
    }

    public async Task DataAsync<T>(T chunk, JsonTypeInfo<T> type, CancellationToken cancellation)
    {
        var writer = response.BodyWriter;
        writer.Write(DataPrefix);
        using (var json = new Utf8JsonWriter(writer, new JsonWriterOptions { Encoder = type.Options.Encoder })) JsonSerializer.Serialize(json, chunk, type);
        writer.Write(EventEnd);
        await writer.FlushAsync(cancellation).ConfigureAwait(false);
    }

    public Task DoneAsync(CancellationToken cancellation) => WriteAsync(Done, cancellation);

    public Task PingAsync(CancellationToken cancellation) => WriteAsync(Ping, cancellation);

    private async Task WriteAsync(byte[] bytes, CancellationToken cancellation) =>
        await response.BodyWriter.WriteAsync(bytes, cancellation).ConfigureAwait(false);
}
