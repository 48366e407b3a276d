using Transformer.Runtime.Sampling;

namespace Transformer.Runtime.Generation;

/// <summary>What to generate and when to stop.</summary>
public sealed record GenerationOptions
{
    /// <summary>Most tokens to generate after the prompt.</summary>
    public int MaxNewTokens { get; init; } = 256;
    /// <summary>How each token is chosen.</summary>
    public SamplingOptions Sampling { get; init; } = new();
    /// <summary>Stop when the model emits one of its end-of-sequence tokens (which is not output).</summary>
    public bool StopAtEos { get; init; } = true;
    /// <summary>Stop when the generated text contains one of these; the stop string is not output.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    /// <summary>Also stream the prompt's text first, as llama2.c's <c>run</c> prints it.</summary>
    public bool EchoPrompt { get; init; }
    /// <summary>Prepend the BOS token to the prompt when the vocabulary has one.</summary>
    public bool AddBos { get; init; } = true;

    /// <summary>Throws on values outside their ranges.</summary>
    public void Validate()
    {
        if (MaxNewTokens < 0) throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "max new tokens must be ≥ 0");
        if (StopStrings.Any(string.IsNullOrEmpty)) throw new ArgumentException("stop strings must not be empty", nameof(StopStrings));
        Sampling.Validate();
    }
}

/// <summary>Why generation ended.</summary>
public enum StopReason
{
    /// <summary>MaxNewTokens were generated.</summary>
    MaxTokens,
    /// <summary>The model emitted an end-of-sequence token.</summary>
    EndOfSequence,
    /// <summary>The text reached a stop string.</summary>
    StopString,
    /// <summary>The sequence reached its context capacity.</summary>
    ContextFull,
    /// <summary>The caller cancelled.</summary>
    Cancelled,
}
