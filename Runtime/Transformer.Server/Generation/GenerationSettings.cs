using System.Globalization;
using System.Text.Json;
using Transformer.Runtime.Sampling;
using Transformer.Server.Api;
using Transformer.Serving;

namespace Transformer.Server.Generation;

/// <summary>
/// The generation fields of a request body, checked against OpenAI's documented ranges (vLLM's for the fields
/// OpenAI lacks: top_k, min_p, repetition_penalty), each error naming its field.
/// </summary>
internal sealed record GenerationSettings
{
    /// <summary>Most choices one request may ask for (prompts × n), as OpenAI caps n.</summary>
    public const int MaxChoices = 128;

    /// <summary>Most stop strings, and the longest one.</summary>
    public const int MaxStopStrings = 16, MaxStopLength = 256;

    public int? MaxTokens { get; init; }
    public string MaxTokensField { get; init; } = "max_tokens";
    public SamplingOptions Sampling { get; init; } = new();
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    public int N { get; init; } = 1;
    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }

    /// <summary>Alternatives to report per token; null reports no log-probabilities.</summary>
    public int? TopLogprobs { get; init; }

    /// <summary>Reads the fields both endpoints share; the caller passes its own max-tokens field and log-probability setting.</summary>
    public static GenerationSettings Read(GenerationBody body, (string Field, int? Value) maxTokens, int? topLogprobs)
    {
        int n = body.N ?? 1;
        if (n is < 1 or > MaxChoices) throw ApiException.InvalidField("n", $"'n' must be between 1 and {MaxChoices}, not {n}");
        if (maxTokens.Value is < 1) throw ApiException.InvalidField(maxTokens.Field, $"'{maxTokens.Field}' must be at least 1, not {maxTokens.Value}");
        if (body.StreamOptions is not null && body.Stream != true)
            throw ApiException.InvalidField("stream_options", "'stream_options' is only allowed when 'stream' is true");

        float temperature = InRange(body.Temperature, "temperature", 1f, 0, 2);
        float topP = InRange(body.TopP, "top_p", 1f, 0, 1);
        if (topP == 0) throw ApiException.InvalidField("top_p", "'top_p' must be greater than 0 (and at most 1)");
        int topK = body.TopK ?? 0;
        // vLLM's -1 and 0 both mean "all tokens".
        if (topK < -1) throw ApiException.InvalidField("top_k", $"'top_k' must be -1 or 0 (off) or a positive count, not {topK}");
        float minP = InRange(body.MinP, "min_p", 0f, 0, 1);
        float frequency = InRange(body.FrequencyPenalty, "frequency_penalty", 0f, -2, 2);
        float presence = InRange(body.PresencePenalty, "presence_penalty", 0f, -2, 2);
        float repetition = InRange(body.RepetitionPenalty, "repetition_penalty", 1f, 0, 2);
        if (repetition == 0) throw ApiException.InvalidField("repetition_penalty", "'repetition_penalty' must be greater than 0 (and at most 2)");

        int? seed = null;
        if (body.Seed is { } s)
        {
            // Choice i draws with seed + i, which must stay a 32-bit seed.
            if (s < int.MinValue || s > int.MaxValue - (n - 1))
                throw ApiException.InvalidField("seed", $"'seed' must be between {int.MinValue} and {int.MaxValue - (n - 1)} (choice i uses seed + i), not {s}");
            seed = (int)s;
        }

        return new GenerationSettings
        {
            MaxTokens = maxTokens.Value,
            MaxTokensField = maxTokens.Field,
            Sampling = new SamplingOptions
            {
                Temperature = temperature,
                TopP = topP,
                TopK = Math.Max(topK, 0),
                MinP = minP,
                FrequencyPenalty = frequency,
                PresencePenalty = presence,
                RepetitionPenalty = repetition,
                Seed = seed,
            },
            StopStrings = ReadStop(body.Stop),
            N = n,
            Stream = body.Stream ?? false,
            IncludeUsage = body.StreamOptions?.IncludeUsage ?? false,
            TopLogprobs = topLogprobs,
        };
    }

    /// <summary>
    /// The scheduler request for choice <paramref name="choice"/> of a prompt. Choice i draws with seed + i, so
    /// every choice of a seeded request is reproducible on its own. Throws a 400 when the prompt, with the
    /// tokens asked for, does not fit the context.
    /// </summary>
    public GenerationRequest RequestFor(IReadOnlyList<int> prompt, int choice, int contextLength, IReadOnlySet<int> stopTokens, string promptField)
    {
        int promptTokens = prompt.Count;
        if (promptTokens >= contextLength)
        {
            throw ApiException.ContextLengthExceeded(
                $"This model's maximum context length is {contextLength} tokens, but the prompt has {promptTokens} tokens, which leaves no room to generate. Shorten the prompt.",
                promptField);
        }
        int maxTokens = MaxTokens ?? contextLength - promptTokens;
        if ((long)promptTokens + maxTokens > contextLength)
        {
            throw ApiException.ContextLengthExceeded(string.Create(CultureInfo.InvariantCulture,
                $"This model's maximum context length is {contextLength} tokens, but {(long)promptTokens + maxTokens} were requested ({promptTokens} in the prompt, {maxTokens} in '{MaxTokensField}'). Shorten the prompt or lower '{MaxTokensField}'."),
                MaxTokensField);
        }
        return new GenerationRequest
        {
            Prompt = prompt,
            MaxTokens = maxTokens,
            Sampling = Sampling.Seed is { } seed ? Sampling with { Seed = seed + choice } : Sampling,
            StopTokens = stopTokens,
            TopLogprobs = TopLogprobs,
        };
    }

    private static float InRange(float? value, string field, float fallback, float min, float max)
    {
        float v = value ?? fallback;
        if (!(v >= min && v <= max))
            throw ApiException.InvalidField(field, string.Create(CultureInfo.InvariantCulture, $"'{field}' must be between {min} and {max}, not {v}"));
        return v;
    }

    private static IReadOnlyList<string> ReadStop(JsonElement? stop)
    {
        if (stop is not { } element || element.ValueKind == JsonValueKind.Null) return [];
        if (element.ValueKind == JsonValueKind.String) return [CheckStop(element.GetString()!, "stop")];
        if (element.ValueKind != JsonValueKind.Array) throw ApiException.InvalidField("stop", "'stop' must be a string or an array of strings");
        if (element.GetArrayLength() > MaxStopStrings) throw ApiException.InvalidField("stop", $"'stop' may hold at most {MaxStopStrings} strings, not {element.GetArrayLength()}");
        var stops = new List<string>();
        int i = 0;
        foreach (var item in element.EnumerateArray())
        {
            string field = $"stop[{i++}]";
            if (item.ValueKind != JsonValueKind.String) throw ApiException.InvalidField(field, $"'{field}' must be a string");
            stops.Add(CheckStop(item.GetString()!, field));
        }
        return stops;
    }

    private static string CheckStop(string stop, string field)
    {
        if (stop.Length == 0) throw ApiException.InvalidField(field, $"'{field}' must not be empty");
        if (stop.Length > MaxStopLength) throw ApiException.InvalidField(field, $"'{field}' must be at most {MaxStopLength} characters, not {stop.Length}");
        return stop;
    }
}
