using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Transformer.Server.Tests;

/// <summary>
/// A real redis-server (Debian's package, installed by .ci/redis-prereqs.sh) on a free loopback port, with
/// nothing persisted, that a test can stop, pause and start again on the same port. Tests skip when the
/// binary is absent.
/// </summary>
internal sealed class RedisServer : IDisposable
{
    private Process? _process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }
    public string Url => $"redis://127.0.0.1:{Port}";

    public static RedisServer Start()
    {
        var redis = NotStarted();
        redis.Restart();
        return redis;
    }

    /// <summary>A free port for a Redis that is not running yet (<see cref="Restart"/> starts it).</summary>
    public static RedisServer NotStarted()
    {
        Assert.SkipUnless(Binary is not null, "redis-server not found on PATH (install it with .ci/redis-prereqs.sh); the Redis tests are skipped");
        return new RedisServer(FreePort());
    }

    /// <summary>Starts it (again) on its port and waits until it accepts connections.</summary>
    public void Restart()
    {
        Assert.Null(_process);
        var start = new ProcessStartInfo(Binary!)
        {
            ArgumentList = { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!Accepts())
        {
            Assert.False(_process.HasExited, $"redis-server exited with {(_process.HasExited ? _process.ExitCode : 0)} on port {Port}");
            Assert.True(DateTime.UtcNow < deadline, $"redis-server did not listen on port {Port} within 10 s");
            Thread.Sleep(20);
        }
    }

    /// <summary>Kills it, as a crash would (its data is gone: nothing is persisted).</summary>
    public void Kill()
    {
        if (_process is null) return;
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    /// <summary>Stops it answering without closing its connections (SIGSTOP): a Redis that is too slow.</summary>
    public void Pause() => Signal("STOP");

    /// <summary>Lets a paused Redis answer again.</summary>
    public void Resume() => Signal("CONT");

    private void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, _process!.Id.ToString() } })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    public void Dispose()
    {
        if (_process is not null && !_process.HasExited) Resume();
        Kill();
    }

    private bool Accepts()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static readonly string? Binary = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, "redis-server"))
        .FirstOrDefault(File.Exists);
}
