using Transformer.Loader.Safetensors;

namespace Transformer.Text.Hub;

/// <summary>A Hub model made local: its folder in the cache, the commit it holds, and why the network was not asked.</summary>
/// <param name="Directory">The model's folder: <c>…/models--owner--name/snapshots/&lt;commit&gt;/&lt;folder&gt;</c>.</param>
/// <param name="Commit">The commit the files come from.</param>
/// <param name="CachedBecause">Null when the Hub was asked; otherwise why the cached snapshot was used unchecked
/// (offline mode, or the Hub could not be reached).</param>
public sealed record HubModelSnapshot(string Directory, string Commit, string? CachedBecause);

/// <summary>
/// Fetches a model folder of a Hub repository into the Hugging Face cache: lists the revision's files, picks
/// the ones the model needs (<see cref="HubModelReference"/>; weights, config, tokenizer) and downloads what the
/// cache lacks. Offline (<see cref="HubOptions.Offline"/>) or with the Hub unreachable, the snapshot the cache
/// already holds for the revision is used, as huggingface_hub does; without one the error says so.
/// </summary>
public static class HubModelDownloader
{
    /// <summary>Returns the local folder of <paramref name="model"/>, downloading what is missing (progress goes to <see cref="HubOptions.Progress"/>).</summary>
    /// <exception cref="HubDownloadException">The model is neither cached nor downloadable; the message says which address failed and how.</exception>
    public static async Task<HubModelSnapshot> EnsureAsync(HubModelReference model, HubOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        HubFileSet.ValidateLocation(model.Repository, model.Folder, model.Revision);
        options ??= new HubOptions();
        string cacheDirectory = options.ResolvedCacheDirectory;
        var layout = new HubCacheLayout(cacheDirectory, model.Repository);

        if (options.ResolvedOffline)
        {
            return Cached(layout, model, "downloads are off (HF_HUB_OFFLINE)")
                ?? throw new HubDownloadException(
                    $"{model} (revision {model.Revision}) is not in the Hugging Face cache {cacheDirectory}, and downloads are off (HF_HUB_OFFLINE)");
        }

        HubRepositoryListing listing;
        using (var fetcher = new HubFileFetcher(options))
        {
            try
            {
                listing = await HubRepositoryListing.GetAsync(fetcher, options.ResolvedEndpoint, model, cancellation).ConfigureAwait(false);
            }
            catch (Exception e) when (Unreachable(e, cancellation) is { } reason)
            {
                return Cached(layout, model, $"the Hub at {options.ResolvedEndpoint} is unreachable: {reason}")
                    ?? throw new HubDownloadException(
                        $"could not reach the Hub at {options.ResolvedEndpoint} to list {model}: {reason}; it is not in the Hugging Face cache {cacheDirectory}", e);
            }
        }

        string commit = listing.Commit ?? model.Revision;
        var names = HubModelFiles.Choose(model, listing.Paths);
        string folder = await HubDownloader.EnsureAsync(model.Files(names, commit), options, cancellation).ConfigureAwait(false);
        if (names.Contains(ShardedSafetensors.IndexFileName))
        {
            var shards = HubModelFiles.Shards(Path.Combine(folder, ShardedSafetensors.IndexFileName));
            await HubDownloader.EnsureAsync(model.Files(shards, commit), options, cancellation).ConfigureAwait(false);
        }
        // Written last, so a ref names only a snapshot whose files all arrived.
        layout.WriteRef(model.Revision, commit);
        return new HubModelSnapshot(folder, commit, null);
    }

    private static HubModelSnapshot? Cached(HubCacheLayout layout, HubModelReference model, string because)
    {
        if (layout.CachedCommit(model.Revision) is not { } commit) return null;
        string folder = layout.SnapshotFile(commit, model.Folder);
        return Directory.Exists(folder) && Directory.EnumerateFiles(folder).Any() ? new HubModelSnapshot(folder, commit, because) : null;
    }

    /// <summary>Why the Hub could not be reached, or null when <paramref name="e"/> is another failure.</summary>
    private static string? Unreachable(Exception e, CancellationToken cancellation) => e switch
    {
        HttpRequestException http => http.Message,
        OperationCanceledException when !cancellation.IsCancellationRequested => "no connection within the time allowed",
        _ => null,
    };
}
