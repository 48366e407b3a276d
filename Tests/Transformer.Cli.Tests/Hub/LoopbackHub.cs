using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Transformer.Cli.Tests;

/// <summary>How the loopback Hub misbehaves.</summary>
public enum HubFault
{
    None,
    /// <summary>Every request gets 404.</summary>
    NotFound,
    /// <summary>Bodies announce their full length, send half of it, then the connection closes.</summary>
    DropMidway,
}

/// <summary>
/// A tiny HTTP/1.1 server on 127.0.0.1 laid out like the Hugging Face Hub: <c>/{repo}/resolve/{main|commit}/{folder}/{file}</c>
/// answers with <c>X-Repo-Commit</c> and an ETag. The first file is served as the Hub serves large (LFS) files: a 302
/// to a content address carrying <c>X-Linked-Etag</c>/<c>X-Linked-Size</c>. A second file gets a weak ETag (<c>W/"…"</c>).
/// <c>/api/models/{repo}/revision/main</c> lists the repository as the Hub's model-info API does: the served files
/// plus <c>extraListed</c> ones (listed, never served). One request per connection (Connection: close) keeps it small.
/// </summary>
public sealed class LoopbackHub : IAsyncDisposable
{
    public const string Commit = "0123456789abcdef0123456789abcdef01234567";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private readonly string[] _resolvePrefixes;
    private readonly string _listingTarget;
    private readonly byte[] _listing;
    private readonly IReadOnlyDictionary<string, byte[]> _files;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _targets = new();
    private readonly HubFault _fault;
    private readonly string _lfsFile;
    private readonly string _weakEtagFile;
    private int _requests;

    public LoopbackHub(string repository, string folder, IReadOnlyList<(string Name, byte[] Content)> files, HubFault fault = HubFault.None,
        IReadOnlyList<string>? extraListed = null)
    {
        _files = files.ToDictionary(f => f.Name, f => f.Content);
        _fault = fault;
        _lfsFile = files[0].Name;
        _weakEtagFile = files.Count > 1 ? files[1].Name : "";
        string inFolder = folder.Length == 0 ? "" : folder + "/";
        _resolvePrefixes = [$"/{repository}/resolve/main/{inFolder}", $"/{repository}/resolve/{Commit}/{inFolder}"];
        _listingTarget = $"/api/models/{repository}/revision/main";
        var siblings = files.Select(f => inFolder + f.Name).Concat(extraListed ?? []).Select(path => new { rfilename = path });
        _listing = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new { id = repository, sha = Commit, siblings });
        _listener.Start();
        Endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _serving = Task.Run(ServeAsync);
    }

    public Uri Endpoint { get; }

    /// <summary>Requests answered so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>The request targets (paths) asked for so far, in arrival order.</summary>
    public IReadOnlyList<string> Targets => [.. _targets];

    /// <summary>The ETag the Hub gives a file: sha256 of the content for the LFS-style file, a sha1 for the others.</summary>
    public string EtagOf(string file) =>
        file == _lfsFile ? Convert.ToHexStringLower(SHA256.HashData(_files[file])) : Convert.ToHexStringLower(SHA1.HashData(_files[file]));

    /// <summary>An address where nothing listens: connections are refused.</summary>
    public static Uri ClosedEndpoint()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            _ = Task.Run(() => AnswerAsync(client));
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            string? target = await ReadRequestTargetAsync(stream);
            if (target is null) return;
            _targets.Enqueue(target);
            Interlocked.Increment(ref _requests);
            try
            {
                await RespondAsync(stream, target);
            }
            catch (IOException)
            {
                // The client may hang up first (e.g. after reading headers of a cached blob).
            }
        }
    }

    private async Task RespondAsync(NetworkStream stream, string target)
    {
        if (_fault == HubFault.NotFound)
        {
            await WriteAsync(stream, "404 Not Found", [], Encoding.UTF8.GetBytes("Entry not found"));
            return;
        }
        if (target == _listingTarget)
        {
            await WriteAsync(stream, "200 OK", [("Content-Type", "application/json")], _listing);
            return;
        }
        string? prefix = _resolvePrefixes.FirstOrDefault(p => target.StartsWith(p, StringComparison.Ordinal));
        if (prefix is not null && _files.TryGetValue(Uri.UnescapeDataString(target[prefix.Length..]), out var body))
        {
            string file = Uri.UnescapeDataString(target[prefix.Length..]);
            if (file == _lfsFile)
            {
                await WriteAsync(stream, "302 Found",
                [
                    ("Location", "/lfs-objects/" + EtagOf(file)),
                    ("X-Repo-Commit", Commit),
                    ("X-Linked-Etag", $"\"{EtagOf(file)}\""),
                    ("X-Linked-Size", body.Length.ToString()),
                ], []);
                return;
            }
            string etag = file == _weakEtagFile ? $"W/\"{EtagOf(file)}\"" : $"\"{EtagOf(file)}\"";
            await WriteAsync(stream, "200 OK", [("X-Repo-Commit", Commit), ("ETag", etag)], body);
            return;
        }
        if (target == "/lfs-objects/" + EtagOf(_lfsFile))
        {
            // The CDN's answer: its own ETag, no commit.
            await WriteAsync(stream, "200 OK", [("ETag", "\"cdn-" + EtagOf(_lfsFile)[..8] + "\"")], _files[_lfsFile]);
            return;
        }
        await WriteAsync(stream, "404 Not Found", [], Encoding.UTF8.GetBytes("Entry not found"));
    }

    private async Task WriteAsync(NetworkStream stream, string status, (string Name, string Value)[] headers, byte[] body)
    {
        var head = new StringBuilder($"HTTP/1.1 {status}\r\n");
        foreach (var (name, value) in headers) head.Append($"{name}: {value}\r\n");
        head.Append($"Content-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        int sent = _fault == HubFault.DropMidway && body.Length > 0 ? body.Length / 2 : body.Length;
        await stream.WriteAsync(body.AsMemory(0, sent));
        await stream.FlushAsync();
    }

    private static async Task<string?> ReadRequestTargetAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 16384)
        {
            if (await stream.ReadAsync(one) == 0) return null;
            head.Add(one[0]);
            int n = head.Count;
            if (n >= 4 && head[n - 4] == '\r' && head[n - 3] == '\n' && head[n - 2] == '\r' && head[n - 1] == '\n') break;
        }
        string requestLine = Encoding.ASCII.GetString(head.ToArray()).Split("\r\n")[0];
        var parts = requestLine.Split(' ');
        return parts.Length == 3 ? parts[1] : null;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _serving;
        _stop.Dispose();
    }
}
