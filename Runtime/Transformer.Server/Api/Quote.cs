namespace Transformer.Server.Api;

/// <summary>Caps quoted client input in error messages, so a huge value never comes back whole.</summary>
internal static class Quote
{
    private const int MaxQuoted = 64;

    public static string Clip(string text) => text.Length <= MaxQuoted ? text : text[..MaxQuoted] + "…";
}
