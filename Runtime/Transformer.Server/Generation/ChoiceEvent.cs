namespace Transformer.Server.Generation;

/// <summary>
/// Something that happened to one choice of a request: text (with the tokens it carries), its end with
/// the API's finish reason, or an error. A choice that was cancelled (its client left, the server stopped)
/// ends with <see cref="Cancelled"/> and no finish reason.
/// </summary>
internal sealed record ChoiceEvent(int Index, string Text, IReadOnlyList<TextToken> Tokens)
{
    /// <summary>"stop" or "length" when the choice ended normally.</summary>
    public string? FinishReason { get; init; }

    /// <summary>The choice ended without finishing.</summary>
    public bool Cancelled { get; init; }

    /// <summary>A model step failed for this choice.</summary>
    public Exception? Error { get; init; }

    /// <summary>Whether this is the choice's last event.</summary>
    public bool IsLast => FinishReason is not null || Cancelled || Error is not null;
}
