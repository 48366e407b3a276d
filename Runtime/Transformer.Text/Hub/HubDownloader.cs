namespace Transformer.Text.Hub;

/// <summary>
/// Makes files of a Hub repository available locally, in the standard Hugging Face cache: what is cached is
/// used without touching the network; what is missing is downloaded.
/// </summary>
public static class HubDownloader
{
    /// <summary>
    /// Returns the local folder holding every file of <paramref name="files"/>
    /// (<c>…/models--owner--name/snapshots/&lt;commit&gt;/&lt;folder&gt;</c>), downloading what the cache lacks.
    /// Throws <see cref="HubDownloadException"/> naming the address and the failure when a file can be neither
    /// found in the cache nor downloaded.
    /// </summary>
    public static async Task<string> EnsureAsync(HubFileSet files, HubOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        files.Validate();
        options ??= new HubOptions();
        string cacheDirectory = options.ResolvedCacheDirectory;
        var layout = new HubCacheLayout(cacheDirectory, files.Repository);

        if (layout.CachedCommit(files.Revision) is { } cached && IsComplete(layout, cached, files))
            return layout.SnapshotFile(cached, files.Folder);

        if (options.ResolvedOffline)
            throw new HubDownloadException(
                $"{files} (revision {files.Revision}) is not in the Hugging Face cache {cacheDirectory}, and downloads are off (HF_HUB_OFFLINE)");

        string endpoint = options.ResolvedEndpoint;
        using var fetcher = new HubFileFetcher(options);
        string? commit = null;
        foreach (string name in files.Files)
        {
            string path = files.PathOf(name);
            var url = new Uri($"{endpoint}/{files.Repository}/resolve/{Uri.EscapeDataString(files.Revision)}/{EscapePath(path)}");
            using var response = await Open(fetcher, url, files, cacheDirectory, cancellation).ConfigureAwait(false);
            // All files go into one snapshot: the commit the first answer named (the revision's name when the
            // server names none), so the returned folder is complete.
            commit ??= response.Commit is { } named && IsSafeName(named) ? named : files.Revision;
            string blob = layout.BlobPath(response.Etag);
            // A blob is named by its content's ETag: one already present needs no second download.
            if (!File.Exists(blob))
                await HubFileFetcher.SaveAsync(response, blob, path, options.Progress, cancellation).ConfigureAwait(false);
            layout.LinkSnapshot(commit, path, response.Etag);
        }
        layout.WriteRef(files.Revision, commit!);
        return layout.SnapshotFile(commit!, files.Folder);
    }

    private static async Task<HubFileResponse> Open(HubFileFetcher fetcher, Uri url, HubFileSet files, string cacheDirectory, CancellationToken cancellation)
    {
        try
        {
            return await fetcher.OpenAsync(url, cancellation).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new HubDownloadException($"could not download {url}: {e.Message}; {files} is not in the Hugging Face cache {cacheDirectory}", e);
        }
        catch (OperationCanceledException e) when (!cancellation.IsCancellationRequested)
        {
            throw new HubDownloadException($"could not download {url}: no connection within the time allowed; {files} is not in the Hugging Face cache {cacheDirectory}", e);
        }
    }

    private static bool IsComplete(HubCacheLayout layout, string commit, HubFileSet files) =>
        files.Files.All(name => layout.HasSnapshotFile(commit, files.PathOf(name)));

    private static string EscapePath(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    private static bool IsSafeName(string s) =>
        s.Length > 0 && s != "." && s != ".." && s.IndexOfAny(['/', '\\', '\0', ':']) < 0;
}
