namespace Transformer.Serving;

/// <summary>Why a generation ended.</summary>
public enum FinishReason
{
    /// <summary>It produced its maximum number of tokens.</summary>
    Length,
    /// <summary>It produced a stop token.</summary>
    Stop,
    /// <summary>The sequence reached the model's context.</summary>
    ContextFull,
    /// <summary>The caller cancelled it (a client went away).</summary>
    Cancelled,
}

/// <summary>A token and its log-probability under the model (before penalties and temperature).</summary>
public readonly record struct TokenLogprob(int Token, float Logprob);

/// <summary>One generated token, with its log-probability and the most likely alternatives when asked for.</summary>
public sealed record GeneratedToken(int Token, TokenLogprob? Logprob, IReadOnlyList<TokenLogprob>? TopLogprobs);
