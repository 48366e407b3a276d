using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Transformer.Gateway.Affinity;

/// <summary>
/// YARP load balancing by prompt prefix, with bounded-load consistent hashing (Mirrokni, Thorup and
/// Zadimoghaddam, 2018): a request with an affinity key goes to the first replica on the hash ring from its key
/// whose requests in flight stay under ⌈c · (all in flight + 1) / replicas⌉, so requests sharing a prefix meet
/// the KV blocks their replica already holds, and a hot prefix spills over to the next replica on the ring
/// instead of overloading one. Requests without a key (or when no replica is on the ring, or with
/// <see cref="GatewayRouting.LeastRequests"/>) go to the replica with the fewest requests in flight.
/// </summary>
internal sealed class PrefixAffinityPolicy(GatewayOptions options, GatewayMetrics metrics) : ILoadBalancingPolicy
{
    public const string PolicyName = "PrefixAffinity";

    private volatile HashRing _ring = new([]);

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        if (availableDestinations.Count == 0) return null;
        if (options.Routing == GatewayRouting.LeastRequests || AffinityKey.Of(context) is not { } key)
        {
            var least = LeastRequests(availableDestinations);
            metrics.CountPick(least, "least_requests");
            return least;
        }

        // The ring covers every configured replica, so a replica that is down and back keeps its keys.
        var ring = RingFor(cluster);
        var available = availableDestinations.ToDictionary(d => d.DestinationId, StringComparer.Ordinal);
        long inFlight = availableDestinations.Sum(d => (long)d.ConcurrentRequestCount);
        long capacity = (long)Math.Ceiling(options.AffinityLoadFactor * (inFlight + 1) / availableDestinations.Count);
        bool first = true;
        foreach (string id in ring.Walk(key))
        {
            if (!available.TryGetValue(id, out var destination)) continue;
            if (destination.ConcurrentRequestCount < capacity)
            {
                metrics.CountPick(destination, first ? "affinity" : "spilled");
                return destination;
            }
            first = false;
        }
        var fallback = LeastRequests(availableDestinations);
        metrics.CountPick(fallback, "least_requests");
        return fallback;
    }

    private HashRing RingFor(ClusterState cluster)
    {
        var ring = _ring;
        var ids = cluster.Destinations.Keys;
        if (ring.Replicas.Count == ids.Count && ids.All(ring.Replicas.Contains)) return ring;
        return _ring = new HashRing(ids);
    }

    // Ties go round-robin: otherwise an idle fleet would send every request to its first replica.
    private int _tieBreak;

    private DestinationState LeastRequests(IReadOnlyList<DestinationState> destinations)
    {
        int start = (int)((uint)Interlocked.Increment(ref _tieBreak) % (uint)destinations.Count);
        var best = destinations[start];
        for (int i = 1; i < destinations.Count; i++)
        {
            var d = destinations[(start + i) % destinations.Count];
            if (d.ConcurrentRequestCount < best.ConcurrentRequestCount) best = d;
        }
        return best;
    }
}
