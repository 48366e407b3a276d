using System.Threading.Channels;

namespace Transformer.Server.Generation;

/// <summary>Reads a run's events until every choice has ended, calling back when nothing arrived for a ping interval.</summary>
internal static class EventLoop
{
    public static async Task RunAsync(ChannelReader<ChoiceEvent> events, TimeSpan? pingInterval, Func<Task> ping, Func<ChoiceEvent, Task> handle)
    {
        // One wait is kept across pings: a channel reader must not have two waits outstanding.
        Task<bool>? wait = null;
        while (true)
        {
            wait ??= events.WaitToReadAsync().AsTask();
            if (pingInterval is { } interval && !wait.IsCompleted)
            {
                using var timeout = new CancellationTokenSource();
                var first = await Task.WhenAny(wait, Task.Delay(interval, timeout.Token)).ConfigureAwait(false);
                timeout.Cancel();
                if (first != wait)
                {
                    await ping().ConfigureAwait(false);
                    continue;
                }
            }
            if (!await wait.ConfigureAwait(false)) return;
            wait = null;
            while (events.TryRead(out var e)) await handle(e).ConfigureAwait(false);
        }
    }
}
