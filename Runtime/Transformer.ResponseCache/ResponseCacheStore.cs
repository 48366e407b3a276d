using Microsoft.Extensions.Caching.Hybrid;

namespace Transformer.ResponseCache;

/// <summary>Which tier answered a lookup.</summary>
public enum CacheTier
{
    /// <summary>Not found.</summary>
    None,
    /// <summary>This process's memory.</summary>
    Local,
    /// <summary>The Redis tier replicas share.</summary>
    Shared,
}

/// <summary>
/// Cached responses as opaque bytes under string keys, on <see cref="HybridCache"/>: memory first, then Redis
/// when configured. A response found in Redis is kept in memory too. Never throws because of Redis.
/// </summary>
public sealed class ResponseCacheStore
{
    // Lookups must not store anything: a miss is filled later, with the response, by SetAsync.
    private static readonly HybridCacheEntryOptions LocalLookup = new() { Flags = HybridCacheEntryFlags.DisableDistributedCache | HybridCacheEntryFlags.DisableLocalCacheWrite };
    private static readonly HybridCacheEntryOptions SharedLookup = new() { Flags = HybridCacheEntryFlags.DisableLocalCache | HybridCacheEntryFlags.DisableDistributedCacheWrite };
    private readonly HybridCache _cache;
    private readonly HybridCacheEntryOptions _store;
    private readonly HybridCacheEntryOptions _storeLocally;

    internal ResponseCacheStore(HybridCache cache, ResponseCacheOptions options, RedisTierStatus? redis)
    {
        _cache = cache;
        Options = options;
        Redis = redis;
        _store = new HybridCacheEntryOptions { Expiration = options.TimeToLive, LocalCacheExpiration = options.TimeToLive };
        _storeLocally = new HybridCacheEntryOptions { Expiration = options.TimeToLive, LocalCacheExpiration = options.TimeToLive, Flags = HybridCacheEntryFlags.DisableDistributedCacheWrite };
    }

    /// <summary>The settings in force.</summary>
    public ResponseCacheOptions Options { get; }

    /// <summary>The Redis tier's state, or null when responses stay in this process.</summary>
    public RedisTierStatus? Redis { get; }

    /// <summary>The bytes stored under <paramref name="key"/> and where they were found, or (null, None).</summary>
    public async ValueTask<(byte[]? Value, CacheTier Tier)> GetAsync(string key, CancellationToken cancellation)
    {
        // HybridCache hands a factory's null back as an empty array; no stored response is empty, so both mean "not found".
        var local = await _cache.GetOrCreateAsync<byte[]?>(key, static _ => ValueTask.FromResult<byte[]?>(null), LocalLookup, cancellationToken: cancellation).ConfigureAwait(false);
        if (local is { Length: > 0 }) return (local, CacheTier.Local);
        if (Redis is null) return (null, CacheTier.None);
        var shared = await _cache.GetOrCreateAsync<byte[]?>(key, static _ => ValueTask.FromResult<byte[]?>(null), SharedLookup, cancellationToken: cancellation).ConfigureAwait(false);
        if (shared is not { Length: > 0 }) return (null, CacheTier.None);
        await _cache.SetAsync(key, shared, _storeLocally, cancellationToken: cancellation).ConfigureAwait(false);
        return (shared, CacheTier.Shared);
    }

    /// <summary>Stores <paramref name="value"/> in memory and, when configured and up, in Redis.</summary>
    public ValueTask SetAsync(string key, byte[] value, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0) throw new ArgumentException("an empty value cannot be told from a miss", nameof(value));
        return _cache.SetAsync(key, value, _store, cancellationToken: cancellation);
    }
}
