using System.Text.Json;

namespace Transformer.Text.Hub;

/// <summary>
/// The files of one revision of a Hub repository, from the Hub's model-info API
/// (<c>GET /api/models/{owner}/{name}/revision/{revision}</c>, the call huggingface_hub's <c>model_info</c> makes):
/// <c>{"sha": "&lt;commit&gt;", "siblings": [{"rfilename": "path/in/repo"}, ...]}</c>.
/// </summary>
internal sealed record HubRepositoryListing(string? Commit, IReadOnlyList<string> Paths)
{
    // A listing names every file of the repository; even very large repositories stay far below this.
    private const int MaxListingBytes = 16 << 20;

    public static async Task<HubRepositoryListing> GetAsync(HubFileFetcher fetcher, string endpoint, HubModelReference model, CancellationToken cancellation)
    {
        var url = new Uri($"{endpoint}/api/models/{model.Repository}/revision/{Uri.EscapeDataString(model.Revision)}");
        byte[] body = await fetcher.GetSmallAsync(url, MaxListingBytes, cancellation).ConfigureAwait(false);
        try
        {
            return Parse(body);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new HubDownloadException($"{url}: not the Hub's model-info JSON (with sha and siblings): {e.Message}", e);
        }
    }

    private static HubRepositoryListing Parse(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("siblings", out var siblings) || siblings.ValueKind != JsonValueKind.Array)
            throw new FormatException("no \"siblings\" list");
        var paths = new List<string>();
        foreach (var sibling in siblings.EnumerateArray())
        {
            if (sibling.ValueKind == JsonValueKind.Object && sibling.TryGetProperty("rfilename", out var name) && name.ValueKind == JsonValueKind.String)
                paths.Add(name.GetString()!);
        }
        string? commit = root.TryGetProperty("sha", out var sha) && sha.ValueKind == JsonValueKind.String && HubCacheLayout.IsCommitHash(sha.GetString()!)
            ? sha.GetString()
            : null;
        return new HubRepositoryListing(commit, paths);
    }
}
