using Transformer.Text.Hub;

namespace Transformer.Cli;

/// <summary>
/// What a --model value names: a local file or folder; <c>hf:OWNER/NAME[/FOLDER]</c>, a model on the Hugging Face
/// Hub (fetched into its cache); or a bare <c>OWNER/NAME</c> that is not a local path, which means the same. Without
/// a value, the bundled <see cref="DefaultModel"/>.
/// </summary>
public static class ModelArgument
{
    /// <summary>The prefix that always means the Hub.</summary>
    public const string HubPrefix = "hf:";

    /// <summary>How the forms read in help text.</summary>
    public const string Forms = "a model folder or file, hf:OWNER/NAME[/FOLDER] or OWNER/NAME (Hugging Face Hub)";

    /// <summary>The local path of the model a --model value names, downloading a Hub model first (progress on stderr).</summary>
    public static async Task<string> ResolveAsync(string? value, CliContext context, CancellationToken cancellation)
    {
        if (value is null) return DefaultModel.Resolve();
        if (value.StartsWith(HubPrefix, StringComparison.Ordinal))
        {
            if (!HubModelReference.TryParse(value[HubPrefix.Length..], out var named))
                throw new ArgumentException($"--model '{value}' is not {HubPrefix}OWNER/NAME[/FOLDER]");
            return await FetchAsync(named!, context, cancellation).ConfigureAwait(false);
        }
        if (File.Exists(value) || Directory.Exists(value) || !IsBareRepositoryId(value, out var bare)) return value;
        try
        {
            return await FetchAsync(bare!, context, cancellation).ConfigureAwait(false);
        }
        catch (HubDownloadException e)
        {
            // A mistyped local path reaches the Hub too: say both readings failed.
            throw new HubDownloadException($"--model '{value}' is no local file or folder, and as a Hub model: {e.Message}", e);
        }
    }

    // OWNER/NAME exactly: a longer relative path that does not exist is far more likely a mistyped local path.
    private static bool IsBareRepositoryId(string value, out HubModelReference? reference) =>
        HubModelReference.TryParse(value, out reference) && reference!.Folder.Length == 0;

    private static async Task<string> FetchAsync(HubModelReference model, CliContext context, CancellationToken cancellation)
    {
        var options = context.Hub with { Progress = new DownloadProgressPrinter(context.Error, context.ErrorIsTerminal) };
        var snapshot = await HubModelDownloader.EnsureAsync(model, options, cancellation).ConfigureAwait(false);
        if (snapshot.CachedBecause is { } because)
            context.Error.WriteLine($"note: {because}; using the cached snapshot {snapshot.Commit} of {model}");
        return snapshot.Directory;
    }
}
