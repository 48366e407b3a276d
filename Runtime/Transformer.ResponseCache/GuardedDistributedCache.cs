using Microsoft.Extensions.Caching.Distributed;

namespace Transformer.ResponseCache;

/// <summary>
/// The Redis tier as HybridCache sees it, made harmless: every call is bounded by a timeout, and a call that
/// fails or is too slow reads as a miss (or a skipped write) instead of an exception, so a dead or slow
/// Redis costs a request at most one timeout and, once marked down, nothing until the retry interval passes.
/// (HybridCache would swallow a failing call too, but it logs every one and keeps calling a dead server; this
/// guard is what knows Redis is down, logs it once and reports it in /metrics.)
/// </summary>
/// <param name="inner">The Redis cache.</param>
/// <param name="timeout">Longest a call may take.</param>
/// <param name="status">Where failures and recoveries are recorded.</param>
/// <param name="connecting">The first connection attempt. Calls made before it ends (HybridCache reads from Redis as
/// soon as it is built) wait for it up to the timeout and are skipped, not counted as failures, if it is still going.</param>
internal sealed class GuardedDistributedCache(IDistributedCache inner, TimeSpan timeout, RedisTierStatus status, Task connecting) : IDistributedCache
{
    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => GuardAsync(t => inner.GetAsync(key, t), (byte[]?)null, token);

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        GuardAsync(async t => { await inner.SetAsync(key, value, options, t).ConfigureAwait(false); return true; }, false, token);

    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    public Task RefreshAsync(string key, CancellationToken token = default) =>
        GuardAsync(async t => { await inner.RefreshAsync(key, t).ConfigureAwait(false); return true; }, false, token);

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public Task RemoveAsync(string key, CancellationToken token = default) =>
        GuardAsync(async t => { await inner.RemoveAsync(key, t).ConfigureAwait(false); return true; }, false, token);

    private async Task<T> GuardAsync<T>(Func<CancellationToken, Task<T>> call, T fallback, CancellationToken cancellation)
    {
        if (!status.ShouldTry()) return fallback;
        if (!connecting.IsCompleted)
        {
            try
            {
                await connecting.WaitAsync(timeout, cancellation).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return fallback;
            }
            catch (Exception) when (!cancellation.IsCancellationRequested)
            {
                // A failed first attempt shows in the call below, which the multiplexer retries meanwhile.
            }
        }
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        limit.CancelAfter(timeout);
        Task<T> task;
        try
        {
            task = call(limit.Token);
        }
        catch (Exception e)
        {
            status.Failed(e);
            return fallback;
        }
        try
        {
            // WaitAsync as well as the token: a client that ignores its token must not hold the request.
            T result = await task.WaitAsync(timeout, cancellation).ConfigureAwait(false);
            status.Succeeded();
            return result;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // The abandoned call may still fail later; observe it so it is not reported as unobserved.
            _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            status.Failed(e is TimeoutException ? new TimeoutException($"no answer within {timeout.TotalMilliseconds} ms") : e);
            return fallback;
        }
    }
}
