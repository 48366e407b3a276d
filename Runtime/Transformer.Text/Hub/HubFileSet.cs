namespace Transformer.Text.Hub;

/// <summary>
/// Files of one folder of a Hugging Face Hub model repository, fetched together into the local cache.
/// </summary>
/// <param name="Repository">The repository id, <c>owner/name</c> (e.g. <c>karpathy/tinyllamas</c>).</param>
/// <param name="Folder">The folder inside the repository holding the files; empty for the repository root.</param>
/// <param name="Files">File names inside <paramref name="Folder"/>.</param>
/// <param name="Revision">A branch, tag or 40-hex commit; <c>main</c> by default.</param>
public sealed record HubFileSet(string Repository, string Folder, IReadOnlyList<string> Files, string Revision = "main")
{
    /// <summary>The repository path of a file of the set (folder and name joined with '/').</summary>
    public string PathOf(string file) => Folder.Length == 0 ? file : $"{Folder}/{file}";

    /// <summary>A short name for messages, e.g. <c>karpathy/tinyllamas/stories260K</c>.</summary>
    public override string ToString() => Folder.Length == 0 ? Repository : $"{Repository}/{Folder}";

    /// <summary>Throws when a name could escape the cache folder or is not a repository id.</summary>
    internal void Validate()
    {
        ValidateLocation(Repository, Folder, Revision);
        if (Files.Count == 0) throw new ArgumentException("no files named", nameof(Files));
        foreach (var file in Files)
        {
            if (!IsSafeSegment(file)) throw new ArgumentException($"'{file}' is not a plain file name", nameof(Files));
        }
    }

    /// <summary>Throws when the repository, folder or revision could escape the cache folder or is malformed.</summary>
    internal static void ValidateLocation(string repository, string folder, string revision)
    {
        var parts = repository.Split('/');
        if (parts.Length != 2 || parts.Any(p => !IsSafeSegment(p)))
            throw new ArgumentException($"'{repository}' is not a Hub repository id of the form owner/name", nameof(repository));
        if (folder.Length > 0 && folder.Split('/').Any(p => !IsSafeSegment(p)))
            throw new ArgumentException($"'{folder}' is not a relative folder inside the repository", nameof(folder));
        if (!IsSafeSegment(revision)) throw new ArgumentException($"'{revision}' is not a revision name", nameof(revision));
    }

    // Names end up as cache paths and URL segments: no separators, no '.'/'..', nothing empty.
    private static bool IsSafeSegment(string s) =>
        s.Length > 0 && s != "." && s != ".." && s.IndexOfAny(['/', '\\', '\0', '?', '#']) < 0;
}
