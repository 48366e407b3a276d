namespace Transformer.Server.Tests;

/// <summary>One server shared by the tests of a class (started on first use, so a missing ../shared only skips).</summary>
public sealed class DefaultServer : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private TestServer? _server;

    internal async Task<TestServer> GetAsync()
    {
        await _gate.WaitAsync();
        try
        {
            return _server ??= await TestServer.StartAsync(TestServer.Options());
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        _gate.Dispose();
    }
}
