namespace Transformer.Text.Hub;

/// <summary>
/// The Hugging Face cache layout of one repository, as <c>huggingface_hub</c> writes it:
/// <c>models--owner--name/blobs/&lt;etag&gt;</c> holds file contents, <c>refs/&lt;revision&gt;</c> the commit a branch
/// pointed to, and <c>snapshots/&lt;commit&gt;/&lt;path&gt;</c> links each file of that commit to its blob.
/// </summary>
internal sealed class HubCacheLayout
{
    public HubCacheLayout(string cacheDirectory, string repository)
    {
        RepositoryDirectory = Path.Combine(cacheDirectory, "models--" + repository.Replace("/", "--"));
    }

    public string RepositoryDirectory { get; }
    public string BlobsDirectory => Path.Combine(RepositoryDirectory, "blobs");

    public string BlobPath(string etag) => Path.Combine(BlobsDirectory, etag);

    public string SnapshotDirectory(string commit) => Path.Combine(RepositoryDirectory, "snapshots", commit);

    public string SnapshotFile(string commit, string repositoryPath) =>
        Path.Combine(SnapshotDirectory(commit), repositoryPath.Replace('/', Path.DirectorySeparatorChar));

    private string RefPath(string revision) => Path.Combine(RepositoryDirectory, "refs", revision);

    /// <summary>The commit a revision resolved to when last downloaded; a commit hash names itself.</summary>
    public string? CachedCommit(string revision)
    {
        if (IsCommitHash(revision)) return revision;
        string path = RefPath(revision);
        if (!File.Exists(path)) return null;
        string commit = File.ReadAllText(path).Trim();
        return commit.Length > 0 ? commit : null;
    }

    public void WriteRef(string revision, string commit)
    {
        if (revision == commit) return;
        string path = RefPath(revision);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        WriteAtomically(path, commit);
    }

    /// <summary>
    /// Points the snapshot's file at its blob: a relative symbolic link as huggingface_hub makes, or a copy
    /// where the file system refuses links.
    /// </summary>
    public void LinkSnapshot(string commit, string repositoryPath, string etag)
    {
        string link = SnapshotFile(commit, repositoryPath);
        string blob = BlobPath(etag);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        if (File.Exists(link) || new FileInfo(link).LinkTarget is not null) File.Delete(link);
        try
        {
            File.CreateSymbolicLink(link, Path.GetRelativePath(Path.GetDirectoryName(link)!, blob));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            string temp = link + "." + Guid.NewGuid().ToString("N") + ".incomplete";
            try
            {
                File.Copy(blob, temp);
                File.Move(temp, link, overwrite: true);
            }
            finally
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>
    /// Whether the snapshot holds the file. A link to a missing blob does not count (File.Exists alone
    /// reports dangling links as present on Unix).
    /// </summary>
    public bool HasSnapshotFile(string commit, string repositoryPath)
    {
        var info = new FileInfo(SnapshotFile(commit, repositoryPath));
        if (!info.Exists) return false;
        return info.LinkTarget is null || info.ResolveLinkTarget(returnFinalTarget: true) is { Exists: true };
    }

    public static bool IsCommitHash(string revision) => revision.Length == 40 && revision.All(char.IsAsciiHexDigitLower);

    private static void WriteAtomically(string path, string text)
    {
        string temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            File.WriteAllText(temp, text);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
