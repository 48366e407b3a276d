namespace Transformer.Text.Hub;

/// <summary>
/// Where Hub files come from and where they are cached. Unset values follow the environment variables the
/// Hugging Face tools read, so a cache shared with Python's <c>huggingface_hub</c> is reused.
/// </summary>
public sealed record HubOptions
{
    /// <summary>The Hub's base address; default <c>HF_ENDPOINT</c>, else <c>https://huggingface.co</c>.</summary>
    public string? Endpoint { get; init; }

    /// <summary>
    /// The cache folder holding <c>models--owner--name</c> folders; default <c>HF_HUB_CACHE</c>, else
    /// <c>HF_HOME/hub</c>, else <c>$XDG_CACHE_HOME/huggingface/hub</c>, else <c>~/.cache/huggingface/hub</c>.
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Use only what is cached, never the network; default: <c>HF_HUB_OFFLINE</c> is 1/true/yes/on.</summary>
    public bool? Offline { get; init; }

    /// <summary>Receives download progress (bytes so far, total when known) as files download.</summary>
    public IProgress<HubDownloadProgress>? Progress { get; init; }

    /// <summary>How long to wait for a connection before reporting the Hub unreachable.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The endpoint in force, without a trailing slash.</summary>
    public string ResolvedEndpoint =>
        (Endpoint ?? NonEmpty(Environment.GetEnvironmentVariable("HF_ENDPOINT")) ?? "https://huggingface.co").TrimEnd('/');

    /// <summary>The cache folder in force.</summary>
    public string ResolvedCacheDirectory
    {
        get
        {
            if (CacheDirectory is not null) return Path.GetFullPath(CacheDirectory);
            if (NonEmpty(Environment.GetEnvironmentVariable("HF_HUB_CACHE")) is { } hubCache) return Path.GetFullPath(hubCache);
            if (NonEmpty(Environment.GetEnvironmentVariable("HF_HOME")) is { } home) return Path.GetFullPath(Path.Combine(home, "hub"));
            string cacheHome = NonEmpty(Environment.GetEnvironmentVariable("XDG_CACHE_HOME"))
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.GetFullPath(Path.Combine(cacheHome, "huggingface", "hub"));
        }
    }

    /// <summary>Whether the network is off limits.</summary>
    public bool ResolvedOffline =>
        Offline ?? (NonEmpty(Environment.GetEnvironmentVariable("HF_HUB_OFFLINE"))?.ToLowerInvariant() is "1" or "true" or "yes" or "on");

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

/// <summary>Progress of one file's download.</summary>
/// <param name="File">The file's repository path.</param>
/// <param name="BytesReceived">Bytes written so far.</param>
/// <param name="TotalBytes">The file's size when the server said it.</param>
/// <param name="Completed">True on the last report of the file.</param>
public readonly record struct HubDownloadProgress(string File, long BytesReceived, long? TotalBytes, bool Completed);
