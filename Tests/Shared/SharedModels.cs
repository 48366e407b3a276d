namespace Transformer.Tests.Shared;

/// <summary>
/// Finds the real models and third-party reference outputs in ../shared (beside the repository).
/// CI always has them; a fresh clone may not, so tests that need them skip with <see cref="SkipReason"/>.
/// </summary>
public static class SharedModels
{
    private static readonly Lazy<string?> Root = new(FindRoot);

    /// <summary>The shared/models folder, or null when it is not present.</summary>
    public static string? ModelsDirectory => Root.Value;

    /// <summary>True when ../shared/models/stories260K exists.</summary>
    public static bool Available => ModelsDirectory is not null;

    /// <summary>Why a test that needs the shared models is skipped.</summary>
    public const string SkipReason =
        "../shared/models/stories260K not found (set TRANSFORMER_SHARED_DIR to the folder that holds models/); tests against third-party references are skipped";

    /// <summary>The stories260K folder (only call when <see cref="Available"/>).</summary>
    public static string Stories260K => Path.Combine(ModelsDirectory ?? throw new InvalidOperationException(SkipReason), "stories260K");

    /// <summary>A file of stories260K; the calling test is skipped when ../shared or the file is absent.</summary>
    public static string Stories260KFile(string relativePath)
    {
        Assert.SkipUnless(Available, SkipReason);
        string path = Path.Combine(Stories260K, relativePath);
        Assert.SkipUnless(File.Exists(path), $"{path} is missing");
        return path;
    }

    /// <summary>
    /// ../shared/data/tinystories-valid-excerpt.txt (real TinyStories validation text); the calling test is
    /// skipped when ../shared or the file is absent.
    /// </summary>
    public static string TinyStoriesExcerpt()
    {
        Assert.SkipUnless(Available, SkipReason);
        string path = Path.Combine(Path.GetDirectoryName(ModelsDirectory!)!, "data", "tinystories-valid-excerpt.txt");
        Assert.SkipUnless(File.Exists(path), $"{path} is missing");
        return path;
    }

    private static string? FindRoot()
    {
        if (Environment.GetEnvironmentVariable("TRANSFORMER_SHARED_DIR") is { Length: > 0 } configured)
            return Directory.Exists(Path.Combine(configured, "models", "stories260K")) ? Path.Combine(configured, "models") : null;
        return SearchUpwards(AppContext.BaseDirectory) ?? (RepositoryPaths.RecordedRoot is { } root ? SearchUpwards(root) : null);
    }

    private static string? SearchUpwards(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "models");
            if (Directory.Exists(Path.Combine(candidate, "stories260K"))) return candidate;
        }
        return null;
    }
}
