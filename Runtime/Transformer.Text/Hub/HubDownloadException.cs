namespace Transformer.Text.Hub;

/// <summary>
/// A Hub file could not be fetched and is not cached. The message names the file's address and what failed;
/// no partial file is left in the cache.
/// </summary>
public sealed class HubDownloadException : Exception
{
    /// <summary>Creates the exception with a complete message.</summary>
    public HubDownloadException(string message) : base(message) { }

    /// <summary>Creates the exception with a complete message and its cause.</summary>
    public HubDownloadException(string message, Exception inner) : base(message, inner) { }
}
