using Transformer.Text.Hub;

namespace Transformer.Cli;

/// <summary>The model <c>run</c> uses when no --model is given: stories260K from the Hugging Face Hub (or its cache).</summary>
public static class DefaultModel
{
    /// <summary>The Hub files of the default model.</summary>
    public static HubFileSet Files => HubFileSet.Stories260K;

    /// <summary>Returns the local folder of the default model, downloading it (with progress on stderr) when not cached.</summary>
    public static async Task<string> EnsureAsync(CliContext context, CancellationToken cancellation)
    {
        var options = context.Hub with { Progress = new DownloadProgressPrinter(context.Error, context.ErrorIsTerminal) };
        try
        {
            return await HubDownloader.EnsureAsync(Files, options, cancellation).ConfigureAwait(false);
        }
        catch (HubDownloadException e)
        {
            throw new HubDownloadException($"cannot get the default model {Files}: {e.Message}; pass --model PATH to run a model from disk", e);
        }
    }
}
