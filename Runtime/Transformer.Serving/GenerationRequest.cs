using Transformer.Runtime.Sampling;

namespace Transformer.Serving;

/// <summary>One generation to run: prompt token ids, how many tokens to generate and how to choose them.</summary>
public sealed record GenerationRequest
{
    /// <summary>Prompt ids (BOS included if the model wants it); at least one.</summary>
    public required IReadOnlyList<int> Prompt { get; init; }

    /// <summary>Most tokens to generate; generation also ends at a stop token or a full context.</summary>
    public required int MaxTokens { get; init; }

    /// <summary>How each token is chosen; a seed makes the result reproducible, whatever else runs.</summary>
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;

    /// <summary>Ids that end generation (not emitted), e.g. the tokenizer's EOS.</summary>
    public IReadOnlyCollection<int> StopTokens { get; init; } = [];

    /// <summary>Most likely alternatives to report beside each token's log-probability; null reports no log-probabilities.</summary>
    public int? TopLogprobs { get; init; }

    /// <summary>The most alternatives a request may ask for (OpenAI's limit).</summary>
    public const int MaxTopLogprobs = 20;

    /// <summary>Throws on values outside their ranges, naming the field.</summary>
    public void Validate(int vocabSize)
    {
        if (Prompt.Count == 0) throw new ArgumentException("the prompt has no tokens: at least one is needed", nameof(Prompt));
        for (int i = 0; i < Prompt.Count; i++)
        {
            if ((uint)Prompt[i] >= (uint)vocabSize)
                throw new ArgumentOutOfRangeException(nameof(Prompt), Prompt[i], $"prompt token {i} ({Prompt[i]}) is outside the vocabulary [0, {vocabSize})");
        }
        if (MaxTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "max tokens must be at least 1");
        if (TopLogprobs is < 0 or > MaxTopLogprobs) throw new ArgumentOutOfRangeException(nameof(TopLogprobs), TopLogprobs, $"top logprobs must be in [0, {MaxTopLogprobs}]");
        Sampling.Validate();
    }
}
