namespace Transformer.Gateway;

/// <summary>What <see cref="InferenceGateway"/> forwards to and how.</summary>
public sealed record GatewayOptions
{
    /// <summary>The server replicas (<c>http://HOST:PORT</c>), at least one.</summary>
    public required IReadOnlyList<Uri> Replicas { get; init; }

    /// <summary>Address to listen on.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Port to listen on; 0 picks a free one (see <see cref="InferenceGateway.BaseAddress"/>).</summary>
    public int Port { get; init; } = 8000;

    /// <summary>
    /// How replicas are chosen: by prompt prefix (the default), or always the replica with the fewest requests in
    /// flight, the baseline that shows what affinity buys (each replica then prefills every system prompt itself).
    /// </summary>
    public GatewayRouting Routing { get; init; } = GatewayRouting.PrefixAffinity;

    /// <summary>How much of a request's leading text (system messages, else the first message; or the prompt) decides its replica.</summary>
    public int AffinityPrefixChars { get; init; } = 2048;

    /// <summary>
    /// Bounded load: no replica takes more than this times the mean number of requests in flight (plus one), so
    /// a hot prefix spills to the next replica on the ring instead of overloading its own. At least 1.
    /// </summary>
    public double AffinityLoadFactor { get; init; } = 1.25;

    /// <summary>How often each replica's /health is probed.</summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A probe not answered within this counts as failed.</summary>
    public TimeSpan HealthCheckTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a replica that failed a forwarded request is left out before it is tried again.</summary>
    public TimeSpan ReactivationPeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Longest a replica may send nothing before the request is given up. Servers ping idle SSE streams every few
    /// seconds; a request that does not stream sends nothing until it is done, so this must cover a whole generation.
    /// </summary>
    public TimeSpan ActivityTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Largest request body read to find its prefix (and kept for a retry); larger ones are forwarded without affinity.</summary>
    public long MaxAffinityBodyBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Throws on values outside their ranges, naming the setting.</summary>
    public void Validate()
    {
        if (Replicas is null || Replicas.Count == 0) throw new ArgumentException("at least one replica is needed (--replica URL)", nameof(Replicas));
        foreach (var replica in Replicas)
        {
            if (!replica.IsAbsoluteUri || replica.Scheme is not ("http" or "https"))
                throw new ArgumentException($"replica '{replica}' is not an http:// or https:// URL", nameof(Replicas));
        }
        if (Replicas.Distinct().Count() != Replicas.Count) throw new ArgumentException("a replica is listed twice", nameof(Replicas));
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), Port, "the port must be in [0, 65535]");
        if (AffinityPrefixChars < 1) throw new ArgumentOutOfRangeException(nameof(AffinityPrefixChars), AffinityPrefixChars, "the affinity prefix must be at least 1 character");
        if (!(AffinityLoadFactor >= 1)) throw new ArgumentOutOfRangeException(nameof(AffinityLoadFactor), AffinityLoadFactor, "the affinity load factor must be at least 1");
        foreach (var (name, value) in new[] { (nameof(HealthCheckInterval), HealthCheckInterval), (nameof(HealthCheckTimeout), HealthCheckTimeout), (nameof(ReactivationPeriod), ReactivationPeriod), (nameof(ActivityTimeout), ActivityTimeout) })
        {
            if (value <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive");
        }
    }
}

/// <summary>How <see cref="InferenceGateway"/> picks a replica for a request.</summary>
public enum GatewayRouting
{
    /// <summary>Requests sharing a prompt prefix go to one replica (bounded-load consistent hashing), others to the least loaded.</summary>
    PrefixAffinity,

    /// <summary>Every request goes to the replica with the fewest requests in flight.</summary>
    LeastRequests,
}
