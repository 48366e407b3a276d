using Microsoft.Extensions.AI;
using Transformer.Runtime.Sampling;

namespace Transformer.Extensions.AI;

/// <summary>
/// <see cref="ChatOptions"/> as the engine takes them. Options left null keep the engine's defaults (temperature 1,
/// no top-k, top-p 1, no penalties, a fresh seed). Anything the engine cannot honour is refused, naming the
/// option, rather than silently ignored.
/// </summary>
internal static class ChatOptionsMapping
{
    public static SamplingOptions Sampling(ChatOptions? options)
    {
        var sampling = new SamplingOptions();
        if (options is null) return sampling;
        if (options.Seed is { } seed && seed is < int.MinValue or > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(options), seed, $"ChatOptions.Seed must fit in 32 bits ([{int.MinValue}, {int.MaxValue}]), not {seed}");
        if (options.TopK is < 0) throw new ArgumentOutOfRangeException(nameof(options), options.TopK, $"ChatOptions.TopK must be ≥ 0 (0 keeps every token), not {options.TopK}");
        sampling = sampling with
        {
            Temperature = options.Temperature ?? sampling.Temperature,
            TopP = options.TopP ?? sampling.TopP,
            TopK = options.TopK ?? sampling.TopK,
            FrequencyPenalty = options.FrequencyPenalty ?? sampling.FrequencyPenalty,
            PresencePenalty = options.PresencePenalty ?? sampling.PresencePenalty,
            Seed = options.Seed is { } s ? (int)s : null,
        };
        try
        {
            sampling.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentOutOfRangeException(nameof(options), e.ActualValue, $"ChatOptions: {e.Message.Split(" (Parameter", 2)[0]}");
        }
        return sampling;
    }

    /// <summary>The most tokens to generate: MaxOutputTokens, or as many as the context leaves after the prompt.</summary>
    public static int MaxTokens(ChatOptions? options, int promptTokens, int contextLength)
    {
        if (promptTokens >= contextLength)
            throw new ArgumentException($"the conversation renders to {promptTokens} tokens, which leaves no room to generate in the model's context of {contextLength}", "messages");
        int room = contextLength - promptTokens;
        if (options?.MaxOutputTokens is not { } max) return room;
        if (max < 1) throw new ArgumentOutOfRangeException(nameof(options), max, $"ChatOptions.MaxOutputTokens must be at least 1, not {max}");
        if (max > room)
            throw new ArgumentOutOfRangeException(nameof(options), max,
                $"ChatOptions.MaxOutputTokens is {max}, but the model's context of {contextLength} leaves {room} after the {promptTokens} prompt tokens");
        return max;
    }

    public static IReadOnlyList<string> StopStrings(ChatOptions? options)
    {
        var stops = options?.StopSequences ?? [];
        if (stops.Any(string.IsNullOrEmpty)) throw new ArgumentException("ChatOptions.StopSequences must not hold an empty string", nameof(options));
        return [.. stops];
    }

    /// <summary>What the engine does not do: tools and structured output would need parsing of the reply it does not have.</summary>
    public static void RefuseUnsupported(ChatOptions? options)
    {
        if (options is null) return;
        if (options.Tools is { Count: > 0 })
            throw new NotSupportedException("ChatOptions.Tools: this client does not call tools (the engine does not parse tool calls from the reply)");
        if (options.ResponseFormat is ChatResponseFormatJson)
            throw new NotSupportedException("ChatOptions.ResponseFormat: JSON output is not supported (the engine has no constrained decoding); use ChatResponseFormat.Text");
    }
}
