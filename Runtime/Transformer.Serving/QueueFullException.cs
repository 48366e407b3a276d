namespace Transformer.Serving;

/// <summary>The waiting queue is full: the request was not accepted and may be retried later.</summary>
public sealed class QueueFullException(int waiting, int limit)
    : Exception($"the server is busy: {waiting} requests are waiting (limit {limit}); retry later")
{
    /// <summary>Requests waiting when this one was refused.</summary>
    public int Waiting { get; } = waiting;
}
