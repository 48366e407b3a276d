using System.Globalization;

namespace Transformer.ResponseCache;

/// <summary>Where cached responses live and for how long.</summary>
public sealed record ResponseCacheOptions
{
    /// <summary>The Redis server replicas share, or null to keep responses in this process only.</summary>
    public RedisEndpoint? Redis { get; init; }

    /// <summary>How long a response stays cached, in memory and in Redis.</summary>
    public TimeSpan TimeToLive { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Most bytes of responses kept in this process; the least recently used go first beyond it.</summary>
    public long MemoryLimitBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Longest a Redis call may take before it counts as failed and the request goes on without it.</summary>
    public TimeSpan RedisTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>After a failure, how long Redis is left alone before one request tries it again.</summary>
    public TimeSpan RedisRetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Reads <c>memory</c> or <c>redis://HOST:PORT</c> (as <c>--response-cache</c> takes it).</summary>
    /// <exception cref="FormatException">Neither form (the message quotes what was given).</exception>
    public static ResponseCacheOptions Parse(string spec, TimeSpan? timeToLive = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var options = new ResponseCacheOptions();
        if (timeToLive is { } ttl) options = options with { TimeToLive = ttl };
        if (spec == "memory") return options;
        return options with { Redis = RedisEndpoint.Parse(spec) };
    }

    /// <summary>Throws on values outside their ranges, naming the setting.</summary>
    public void Validate()
    {
        if (TimeToLive <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(TimeToLive), TimeToLive, "the response cache's time to live must be positive");
        if (MemoryLimitBytes < 1024) throw new ArgumentOutOfRangeException(nameof(MemoryLimitBytes), MemoryLimitBytes, "the response cache's memory limit must be at least 1 KiB");
        if (RedisTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RedisTimeout), RedisTimeout, "the Redis timeout must be positive");
        if (RedisRetryInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RedisRetryInterval), RedisRetryInterval, "the Redis retry interval must be positive");
    }
}

/// <summary>A Redis server: host, port and an optional password (<c>redis://[:PASSWORD@]HOST:PORT</c>).</summary>
public sealed record RedisEndpoint(string Host, int Port, string? Password = null)
{
    /// <exception cref="FormatException">Not a <c>redis://HOST:PORT</c> URL.</exception>
    public static RedisEndpoint Parse(string url)
    {
        string shown = url.Length > 80 ? url[..80] + "…" : url;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "redis" || uri.Host.Length == 0)
            throw new FormatException($"'{shown}' is not 'memory' or a Redis URL redis://HOST:PORT");
        if (uri.AbsolutePath is not ("" or "/") || uri.Query.Length > 0)
            throw new FormatException($"'{shown}': a Redis URL here is redis://HOST:PORT, without a path or query");
        int port = uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port;
        string? password = uri.UserInfo.Length == 0 ? null : Uri.UnescapeDataString(uri.UserInfo.Split(':', 2) is [_, var p] ? p : uri.UserInfo);
        return new RedisEndpoint(uri.IdnHost, port, password);
    }

    /// <summary>HOST:PORT, as logs and metrics show it (never the password).</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port}");
}
