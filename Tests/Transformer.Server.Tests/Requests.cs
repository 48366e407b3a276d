using System.Text;
using System.Text.Json;

namespace Transformer.Server.Tests;

/// <summary>Request bodies and what the tests compare of their answers.</summary>
internal static class Requests
{
    private static readonly string[] Openings =
    [
        "Once upon a time", "Lily and Tom went to the park", "The big red ball", "One day, a little bird", "Tim had a toy car",
        "The sun was shining and", "Sue found a box", "There was a cat named Max", "Mom said", "In the garden",
    ];

    /// <summary>A varied set of completion bodies: greedy and seeded sampling, with and without log-probabilities.</summary>
    public static string Completion(int i, bool stream, int maxTokens)
    {
        string prompt = Openings[i % Openings.Length] + (i >= Openings.Length ? $" {i}" : "");
        string sampling = (i % 4) switch
        {
            0 => "\"temperature\":0",
            1 => $"\"temperature\":0.9,\"top_p\":0.9,\"seed\":{1000 + i}",
            2 => $"\"temperature\":1.1,\"top_k\":20,\"min_p\":0.02,\"repetition_penalty\":1.1,\"seed\":{2000 + i}",
            _ => $"\"temperature\":0.7,\"frequency_penalty\":0.5,\"presence_penalty\":0.3,\"seed\":{3000 + i}",
        };
        string logprobs = i % 2 == 0 ? ",\"logprobs\":2" : "";
        string streaming = stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "";
        return $$"""{"model":"stories260K","prompt":{{JsonSerializer.Serialize(prompt)}},"max_tokens":{{maxTokens}},{{sampling}}{{logprobs}}{{streaming}}}""";
    }

    /// <summary>What a completion choice produced, exactly: its text, the raw JSON of its log-probabilities, its finish reason, its token count.</summary>
    public sealed record Outcome(string Text, string Logprobs, string? FinishReason, int CompletionTokens)
    {
        public override string ToString() => $"{FinishReason}, {CompletionTokens} tokens: {Text[..Math.Min(Text.Length, 60)]}";
    }

    public static Outcome FromWhole(JsonElement response)
    {
        var choice = response.GetProperty("choices")[0];
        return new Outcome(choice.GetProperty("text").GetString()!, LegacyLogprobs([choice.GetProperty("logprobs")]),
            choice.GetProperty("finish_reason").GetString(), response.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    /// <summary>Reads a streamed completion from SSE text; throws when the framing is wrong.</summary>
    public static Outcome FromStream(string raw)
    {
        var chunks = raw.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Where(e => !e.StartsWith(':')).ToList();
        if (chunks[^1] != "data: [DONE]") throw new FormatException("the stream does not end with [DONE]");
        var text = new StringBuilder();
        var logprobs = new List<JsonElement>();
        string? finish = null;
        int tokens = -1;
        foreach (var chunk in chunks.SkipLast(1))
        {
            var json = JsonDocument.Parse(chunk["data: ".Length..]).RootElement.Clone();
            if (json.TryGetProperty("usage", out var usage)) tokens = usage.GetProperty("completion_tokens").GetInt32();
            foreach (var choice in json.GetProperty("choices").EnumerateArray())
            {
                text.Append(choice.GetProperty("text").GetString());
                if (choice.GetProperty("logprobs").ValueKind == JsonValueKind.Object) logprobs.Add(choice.GetProperty("logprobs"));
                if (choice.GetProperty("finish_reason").ValueKind == JsonValueKind.String) finish = choice.GetProperty("finish_reason").GetString();
            }
        }
        return new Outcome(text.ToString(), LegacyLogprobs(logprobs), finish, tokens);
    }

    /// <summary>The legacy log-probability lists of one choice, joined over chunks, as raw JSON (so a differing bit shows).</summary>
    private static string LegacyLogprobs(IEnumerable<JsonElement> parts)
    {
        var tokens = new List<string>();
        var values = new List<string>();
        var top = new List<string>();
        var offsets = new List<string>();
        foreach (var part in parts)
        {
            if (part.ValueKind != JsonValueKind.Object) continue;
            tokens.AddRange(part.GetProperty("tokens").EnumerateArray().Select(t => t.GetRawText()));
            values.AddRange(part.GetProperty("token_logprobs").EnumerateArray().Select(t => t.GetRawText()));
            top.AddRange(part.GetProperty("top_logprobs").EnumerateArray().Select(t => t.GetRawText()));
            offsets.AddRange(part.GetProperty("text_offset").EnumerateArray().Select(t => t.GetRawText()));
        }
        return $"[{string.Join(',', tokens)}] [{string.Join(',', values)}] [{string.Join(',', top)}] [{string.Join(',', offsets)}]";
    }
}
