using Transformer.Text.Hub;

namespace Transformer.Cli.Tests;

/// <summary>Downloading into the Hugging Face cache layout, against a loopback server laid out like the Hub.</summary>
public sealed class HubDownloaderTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task First_call_downloads_into_the_cache_layout_and_second_uses_the_cache_with_the_server_gone()
    {
        using var cache = HubFixture.NewCache();
        var content = HubFixture.Content();
        string folder;
        var hub = HubFixture.Serve();
        await using (hub)
        {
            folder = await HubDownloader.EnsureAsync(HubFixture.Files, HubFixture.Options(hub.Endpoint, cache.Path), Cancel);

            string repo = Path.Combine(cache.Path, "models--karpathy--tinyllamas");
            Assert.Equal(Path.Combine(repo, "snapshots", LoopbackHub.Commit, "stories260K"), folder);
            Assert.Equal(LoopbackHub.Commit, File.ReadAllText(Path.Combine(repo, "refs", "main")));
            foreach (var (name, bytes) in content)
            {
                string blob = Path.Combine(repo, "blobs", hub.EtagOf(name));
                Assert.Equal(bytes, File.ReadAllBytes(blob));
                Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(folder, name)));
                if (!OperatingSystem.IsWindows())
                    Assert.Equal(Path.GetFullPath(blob), new FileInfo(Path.Combine(folder, name)).ResolveLinkTarget(true)!.FullName);
            }
            Assert.Equal(content.Count, Directory.GetFiles(Path.Combine(repo, "blobs")).Length);
        }

        // The server is gone: a complete cached snapshot must be used without any request.
        var offline = HubFixture.Options(LoopbackHub.ClosedEndpoint(), cache.Path);
        Assert.Equal(folder, await HubDownloader.EnsureAsync(HubFixture.Files, offline, Cancel));
    }

    [Fact]
    public async Task Progress_reports_every_file_to_its_full_size()
    {
        using var cache = HubFixture.NewCache();
        await using var hub = HubFixture.Serve();
        var reports = new List<HubDownloadProgress>();
        var options = HubFixture.Options(hub.Endpoint, cache.Path) with { Progress = new SynchronousProgress(reports.Add) };

        await HubDownloader.EnsureAsync(HubFixture.Files, options, Cancel);

        foreach (var (name, bytes) in HubFixture.Content())
        {
            var done = Assert.Single(reports, r => r.Completed && r.File == $"stories260K/{name}");
            Assert.Equal(bytes.Length, done.BytesReceived);
            Assert.Equal(bytes.Length, done.TotalBytes);
        }
    }

    [Fact]
    public async Task A_missing_blob_is_downloaded_again()
    {
        using var cache = HubFixture.NewCache();
        await using var hub = HubFixture.Serve();
        var options = HubFixture.Options(hub.Endpoint, cache.Path);
        string folder = await HubDownloader.EnsureAsync(HubFixture.Files, options, Cancel);
        var (name, bytes) = HubFixture.Content()[0];
        File.Delete(Path.Combine(cache.Path, "models--karpathy--tinyllamas", "blobs", hub.EtagOf(name)));
        int before = hub.Requests;

        Assert.Equal(folder, await HubDownloader.EnsureAsync(HubFixture.Files, options, Cancel));

        Assert.True(hub.Requests > before);
        Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(folder, name)));
    }

    [Fact]
    public async Task Not_found_gives_a_clear_error_and_leaves_no_file()
    {
        using var cache = HubFixture.NewCache();
        await using var hub = HubFixture.Serve(HubFault.NotFound);

        var e = await Assert.ThrowsAsync<HubDownloadException>(() => HubDownloader.EnsureAsync(HubFixture.Files, HubFixture.Options(hub.Endpoint, cache.Path), Cancel));

        Assert.Contains("404", e.Message);
        Assert.Contains($"{hub.Endpoint}karpathy/tinyllamas/resolve/main/stories260K/stories260K.bin", e.Message);
        AssertNoFiles(cache.Path);
    }

    [Fact]
    public async Task A_dropped_connection_gives_a_clear_error_and_leaves_no_partial_file()
    {
        using var cache = HubFixture.NewCache();
        await using var hub = HubFixture.Serve(HubFault.DropMidway);

        var e = await Assert.ThrowsAsync<HubDownloadException>(() => HubDownloader.EnsureAsync(HubFixture.Files, HubFixture.Options(hub.Endpoint, cache.Path), Cancel));

        Assert.Contains("stories260K/stories260K.bin", e.Message);
        Assert.Contains("broke off after", e.Message);
        AssertNoFiles(cache.Path);
    }

    [Fact]
    public async Task Unreachable_hub_with_nothing_cached_says_what_failed()
    {
        using var cache = HubFixture.NewCache();

        var e = await Assert.ThrowsAsync<HubDownloadException>(() => HubDownloader.EnsureAsync(HubFixture.Files, HubFixture.Options(LoopbackHub.ClosedEndpoint(), cache.Path), Cancel));

        Assert.StartsWith("could not download http://127.0.0.1:", e.Message);
        Assert.Contains("is not in the Hugging Face cache " + cache.Path, e.Message);
    }

    [Fact]
    public async Task Offline_mode_with_nothing_cached_never_connects()
    {
        using var cache = HubFixture.NewCache();
        await using var hub = HubFixture.Serve();
        var options = HubFixture.Options(hub.Endpoint, cache.Path) with { Offline = true };

        var e = await Assert.ThrowsAsync<HubDownloadException>(() => HubDownloader.EnsureAsync(HubFixture.Files, options, Cancel));

        Assert.Contains("HF_HUB_OFFLINE", e.Message);
        Assert.Equal(0, hub.Requests);
    }

    [Theory]
    [InlineData("\"abc\"", "abc")]
    [InlineData("W/\"abc\"", "abc")]
    [InlineData("abc", "abc")]
    [InlineData("\"../x\"", null)]
    [InlineData("\"\"", null)]
    public void Etags_become_blob_names_without_quotes_or_weak_prefix(string header, string? blobName) =>
        Assert.Equal(blobName, HubFileFetcher.NormalizeEtag(header));

    private static void AssertNoFiles(string cache)
    {
        var files = Directory.Exists(cache) ? Directory.GetFiles(cache, "*", SearchOption.AllDirectories) : [];
        Assert.Empty(files);
    }

    private sealed class SynchronousProgress(Action<HubDownloadProgress> report) : IProgress<HubDownloadProgress>
    {
        public void Report(HubDownloadProgress value) => report(value);
    }
}
