using StackExchange.Redis;

namespace Transformer.ResponseCache;

/// <summary>
/// The connection to Redis, opened as soon as the server builds its cache rather than by the first request
/// (whose call would otherwise spend its timeout connecting). It keeps reconnecting in the background for as
/// long as the server runs, so Redis coming back is noticed without a restart.
/// </summary>
internal sealed class RedisConnection : IAsyncDisposable
{
    private readonly Task<IConnectionMultiplexer> _connecting;

    public RedisConnection(ConfigurationOptions configuration) =>
        _connecting = Task.Run(async () => (IConnectionMultiplexer)await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false));

    public Task<IConnectionMultiplexer> Connection => _connecting;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await (await _connecting.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
        }
        catch (RedisException)
        {
            // Never connected: nothing to close.
        }
    }
}
