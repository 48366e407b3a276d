using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Transformer.Gateway.Proxy;

/// <summary>
/// Sends a request again, to another replica, when its replica failed before anything was sent back to the
/// client (refused, reset, or died while generating a response that does not stream). Once a byte has gone
/// out, a retry could duplicate or garble what the client has; an event stream then ends with an error event
/// (<see cref="StreamFailureEvent"/>) and any other response is cut. Every replica is tried at most once.
/// </summary>
internal static class RetryBeforeFirstByte
{
    public static async Task InvokeAsync(HttpContext context, Func<Task> next, GatewayMetrics metrics)
    {
        // The body must be sent again: keep it (in memory, then a temporary file past 30 KB).
        context.Request.EnableBuffering();
        var proxy = context.GetReverseProxyFeature();
        var tried = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            await next().ConfigureAwait(false);
            var failure = context.Features.Get<IForwarderErrorFeature>();
            if (failure is null || context.Response.HasStarted || context.RequestAborted.IsCancellationRequested) return;
            // Only a failed send or a replica that died before answering: a timed-out request already had its chance.
            if (failure.Error is not ForwarderError.Request) return;
            if (proxy.ProxiedDestination is { } failed) tried.Add(failed.DestinationId);
            var remaining = proxy.AllDestinations.Where(d => !tried.Contains(d.DestinationId) && IsAvailable(d)).ToList();
            if (remaining.Count == 0) return;

            metrics.CountRetry();
            context.Features.Set<IForwarderErrorFeature>(null);
            context.Response.Clear();
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Request.Body.Position = 0;
            proxy.AvailableDestinations = remaining;
        }
    }

    private static bool IsAvailable(DestinationState d) =>
        d.Health.Active != DestinationHealth.Unhealthy && d.Health.Passive != DestinationHealth.Unhealthy;
}
