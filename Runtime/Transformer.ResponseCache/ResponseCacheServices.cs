using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Transformer.ResponseCache;

/// <summary>Registers the response cache (<see cref="ResponseCacheStore"/>) on a service collection.</summary>
public static class ResponseCacheServices
{
    /// <summary>
    /// Adds HybridCache with a memory tier bounded by <see cref="ResponseCacheOptions.MemoryLimitBytes"/> and,
    /// when <see cref="ResponseCacheOptions.Redis"/> is set, Redis as its distributed tier behind a guard that
    /// turns Redis failures into misses.
    /// </summary>
    public static IServiceCollection AddTransformerResponseCache(this IServiceCollection services, ResponseCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.AddMemoryCache(memory => memory.SizeLimit = options.MemoryLimitBytes);
        services.AddHybridCache(hybrid =>
        {
            // A response with log-probabilities of every token can pass HybridCache's default of 1 MiB.
            hybrid.MaximumPayloadBytes = 64 * 1024 * 1024;
        });
        if (options.Redis is { } endpoint)
        {
            services.AddSingleton(provider => new RedisTierStatus(endpoint, options.RedisRetryInterval,
                provider.GetRequiredService<ILoggerFactory>().CreateLogger("Transformer.ResponseCache")));
            services.AddSingleton(_ => new RedisConnection(RedisConfiguration(endpoint, options)));
            services.AddSingleton<IDistributedCache>(provider =>
            {
                var connection = provider.GetRequiredService<RedisConnection>();
                var redis = new RedisCache(new RedisCacheOptions { ConnectionMultiplexerFactory = () => connection.Connection, InstanceName = "transformer:" });
                return new GuardedDistributedCache(redis, options.RedisTimeout, provider.GetRequiredService<RedisTierStatus>(), connection.Connection);
            });
        }
        services.AddSingleton(provider =>
        {
            // Resolving the Redis tier here starts connecting it (see RedisConnection).
            _ = provider.GetService<RedisConnection>();
            return new ResponseCacheStore(provider.GetRequiredService<HybridCache>(), options, provider.GetService<RedisTierStatus>());
        });
        return services;
    }

    private static ConfigurationOptions RedisConfiguration(RedisEndpoint endpoint, ResponseCacheOptions options)
    {
        int timeout = (int)Math.Max(1, options.RedisTimeout.TotalMilliseconds);
        var configuration = new ConfigurationOptions
        {
            // Start even when Redis is down, and keep reconnecting in the background: the cache must never stop serving.
            AbortOnConnectFail = false,
            // A first connection in a process that is still starting (JIT, model loading) can take longer than a call may.
            ConnectTimeout = Math.Max(timeout, 5000),
            ConnectRetry = 1,
            SyncTimeout = timeout,
            AsyncTimeout = timeout,
            ReconnectRetryPolicy = new LinearRetry((int)Math.Max(100, options.RedisRetryInterval.TotalMilliseconds)),
            Password = endpoint.Password,
        };
        configuration.EndPoints.Add(endpoint.Host, endpoint.Port);
        return configuration;
    }
}
