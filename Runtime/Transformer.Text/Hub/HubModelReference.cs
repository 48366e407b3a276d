namespace Transformer.Text.Hub;

/// <summary>
/// A model on the Hugging Face Hub: a repository (<c>owner/name</c>), optionally a folder inside it holding the
/// model (llama2.c's <c>karpathy/tinyllamas</c> keeps one model per folder), at a revision.
/// </summary>
/// <param name="Repository">The repository id, <c>owner/name</c>.</param>
/// <param name="Folder">The folder inside the repository holding the model; empty for the repository root.</param>
/// <param name="Revision">A branch, tag or 40-hex commit; <c>main</c> by default.</param>
public sealed record HubModelReference(string Repository, string Folder = "", string Revision = "main")
{
    /// <summary>
    /// Reads <c>owner/name</c> or <c>owner/name/folder[/...]</c>. Returns false for anything else (one segment,
    /// empty segments, <c>.</c> or <c>..</c>, backslashes, characters the Hub does not allow in names).
    /// </summary>
    public static bool TryParse(string text, out HubModelReference? reference)
    {
        reference = null;
        ArgumentNullException.ThrowIfNull(text);
        string[] segments = text.Split('/');
        if (segments.Length < 2 || !segments.All(IsHubName)) return false;
        reference = new HubModelReference($"{segments[0]}/{segments[1]}", string.Join('/', segments.Skip(2)));
        return true;
    }

    /// <summary>The files of <see cref="Folder"/> as a set to fetch.</summary>
    internal HubFileSet Files(IReadOnlyList<string> names, string revision) => new(Repository, Folder, names, revision);

    /// <summary>The form <see cref="TryParse"/> reads, e.g. <c>karpathy/tinyllamas/stories260K</c>.</summary>
    public override string ToString() => Folder.Length == 0 ? Repository : $"{Repository}/{Folder}";

    // The Hub's repository and path names: letters, digits, '-', '_', '.'; never '.' or '..' alone.
    private static bool IsHubName(string segment) =>
        segment.Length > 0 && segment != "." && segment != ".."
        && segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
