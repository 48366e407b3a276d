using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Transformer.ResponseCache;

/// <summary>
/// Whether the shared Redis tier answers. A failure marks it down (logged once, not per request) and leaves it
/// alone for the retry interval; then one request tries it again, and the first success marks it up (logged).
/// </summary>
public sealed class RedisTierStatus
{
    private readonly TimeSpan _retryInterval;
    private readonly ILogger _logger;
    private int _down;
    private long _errors;
    private long _retryAt;

    internal RedisTierStatus(RedisEndpoint endpoint, TimeSpan retryInterval, ILogger logger)
    {
        Endpoint = endpoint;
        _retryInterval = retryInterval;
        _logger = logger;
    }

    /// <summary>The Redis server.</summary>
    public RedisEndpoint Endpoint { get; }

    /// <summary>False from a failed call until the next successful one.</summary>
    public bool Up => Volatile.Read(ref _down) == 0;

    /// <summary>Calls that failed or timed out since start.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Whether to call Redis now: always while it is up; while down, once per retry interval.</summary>
    internal bool ShouldTry()
    {
        if (Up) return true;
        long now = Stopwatch.GetTimestamp();
        long retryAt = Interlocked.Read(ref _retryAt);
        // Only the caller that moves the next retry forward tries; the others go on without Redis.
        return now >= retryAt && Interlocked.CompareExchange(ref _retryAt, now + Ticks(_retryInterval), retryAt) == retryAt;
    }

    internal void Failed(Exception error)
    {
        Interlocked.Increment(ref _errors);
        Interlocked.Exchange(ref _retryAt, Stopwatch.GetTimestamp() + Ticks(_retryInterval));
        if (Interlocked.Exchange(ref _down, 1) == 0)
        {
            _logger.LogWarning("response cache: Redis at {Endpoint} failed ({Reason}); serving from memory and the engine, retrying every {Interval} s",
                Endpoint, error.Message, _retryInterval.TotalSeconds);
        }
    }

    internal void Succeeded()
    {
        if (Interlocked.Exchange(ref _down, 0) == 1) _logger.LogWarning("response cache: Redis at {Endpoint} answers again; sharing responses through it", Endpoint);
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
