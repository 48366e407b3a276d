using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace Transformer.Gateway.Proxy;

/// <summary>
/// Ends a server-sent event stream whose replica died mid-stream with an error event, the way a replica ends a
/// stream whose generation failed (an OpenAI error object, no [DONE]), instead of a cut connection that a client
/// can only report as a network error. YARP aborts the client connection when the replica's response body fails
/// after headers went out; this middleware stands in for the connection's abort while the forwarder runs, and,
/// for an event stream whose replica failed, writes the event and ends the response cleanly. Every other abort
/// (a non-stream response, a vanished client, a cancelled request) goes through at once.
/// </summary>
internal static class StreamFailureEvent
{
    public static async Task InvokeAsync(HttpContext context, Func<Task> next, GatewayMetrics metrics)
    {
        var connection = context.Features.GetRequiredFeature<IHttpRequestLifetimeFeature>();
        var standIn = new DeferredAbort(connection, context);
        context.Features.Set<IHttpRequestLifetimeFeature>(standIn);
        try
        {
            await next().ConfigureAwait(false);
        }
        finally
        {
            context.Features.Set(connection);
        }
        if (!standIn.Deferred) return;

        metrics.CountCutStream();
        try
        {
            await context.Response.Body.WriteAsync(ErrorEvent(), context.RequestAborted).ConfigureAwait(false);
            await context.Response.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            connection.Abort(); // the client went too: nothing more to tell it
        }
    }

    /// <summary>The error event: the same shape as a replica's own error events (<c>{"error": {...}}</c>).</summary>
    internal static byte[] ErrorEvent()
    {
        using var buffer = new MemoryStream();
        buffer.Write("data: "u8);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteString("message", "the replica serving this stream failed before the stream was complete; the text so far is partial");
            json.WriteString("type", "server_error");
            json.WriteNull("param");
            json.WriteString("code", "replica_failed");
            json.WriteEndObject();
            json.WriteEndObject();
        }
        buffer.Write("\n\n"u8);
        return buffer.ToArray();
    }

    private static bool IsEventStream(HttpResponse response) =>
        response.ContentType?.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>The connection's lifetime feature, except that an abort for a failed replica stream is held back.</summary>
    private sealed class DeferredAbort(IHttpRequestLifetimeFeature connection, HttpContext context) : IHttpRequestLifetimeFeature
    {
        public bool Deferred { get; private set; }

        public CancellationToken RequestAborted
        {
            get => connection.RequestAborted;
            set => connection.RequestAborted = value;
        }

        public void Abort()
        {
            bool replicaFailedMidStream = context.Features.Get<IForwarderErrorFeature>()?.Error == ForwarderError.ResponseBodyDestination
                && context.Response.HasStarted && IsEventStream(context.Response) && !connection.RequestAborted.IsCancellationRequested;
            if (replicaFailedMidStream) Deferred = true;
            else connection.Abort();
        }
    }
}
