namespace Transformer.Runtime.Sampling;

/// <summary>
/// How the next token is chosen from logits. Applied in Hugging Face's order: repetition penalty (then
/// OpenAI's frequency and presence penalties, as vLLM applies them), temperature, top-k, top-p (over what
/// top-k kept, renormalised, as Hugging Face and llama.cpp do), min-p, then a draw.
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>Greedy decoding: always the most likely token.</summary>
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    /// <summary>Divides logits before softmax; 0 means greedy.</summary>
    public float Temperature { get; init; } = 1f;
    /// <summary>Keep only the K most likely tokens; 0 keeps all.</summary>
    public int TopK { get; init; }
    /// <summary>Keep the smallest set of most likely tokens whose probability reaches P; 1 keeps all.</summary>
    public float TopP { get; init; } = 1f;
    /// <summary>Drop tokens less likely than MinP × the top probability; 0 keeps all.</summary>
    public float MinP { get; init; }
    /// <summary>Divides positive (multiplies negative) logits of tokens already in the context, once per distinct token; 1 is off.</summary>
    public float RepetitionPenalty { get; init; } = 1f;
    /// <summary>
    /// OpenAI's <c>frequency_penalty</c>: subtracted from a token's logit once per occurrence among the generated
    /// tokens (the whole context when the caller passes no separate generated tokens; the server counts only
    /// generated ones, as vLLM does); positive discourages repeats, negative encourages them; 0 is off. In
    /// [−2, 2], as the OpenAI API allows.
    /// </summary>
    public float FrequencyPenalty { get; init; }
    /// <summary>
    /// OpenAI's <c>presence_penalty</c>: subtracted once from the logit of every token generated so far (counted
    /// as for <see cref="FrequencyPenalty"/>), however often; 0 is off. In [−2, 2].
    /// </summary>
    public float PresencePenalty { get; init; }
    /// <summary>Seed of the draw; the same seed, model and prompt give the same tokens. Null draws a fresh seed.</summary>
    public int? Seed { get; init; }

    /// <summary>Throws on values outside their ranges.</summary>
    public void Validate()
    {
        if (!(Temperature >= 0) || float.IsInfinity(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "temperature must be a finite value ≥ 0");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "top-k must be ≥ 0");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "top-p must be in (0, 1]");
        if (!(MinP >= 0 && MinP <= 1)) throw new ArgumentOutOfRangeException(nameof(MinP), MinP, "min-p must be in [0, 1]");
        if (!(RepetitionPenalty > 0) || float.IsInfinity(RepetitionPenalty)) throw new ArgumentOutOfRangeException(nameof(RepetitionPenalty), RepetitionPenalty, "repetition penalty must be a finite value > 0");
        if (!(FrequencyPenalty >= -2 && FrequencyPenalty <= 2)) throw new ArgumentOutOfRangeException(nameof(FrequencyPenalty), FrequencyPenalty, "frequency penalty must be in [-2, 2]");
        if (!(PresencePenalty >= -2 && PresencePenalty <= 2)) throw new ArgumentOutOfRangeException(nameof(PresencePenalty), PresencePenalty, "presence penalty must be in [-2, 2]");
    }
}
