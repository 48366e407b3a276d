using System.Text.Json.Serialization;

namespace Transformer.Server.Api;

// Response bodies in the shapes of OpenAI's API (snake_case through ServerJsonContext).

/// <summary>Token counts of a request.</summary>
internal sealed record Usage(int PromptTokens, int CompletionTokens, int TotalTokens, PromptTokensDetails PromptTokensDetails);

/// <summary>How many prompt tokens came from the prefix cache.</summary>
internal sealed record PromptTokensDetails(int CachedTokens);

/// <summary>A whole chat completion.</summary>
internal sealed record ChatCompletion(string Id, long Created, string Model, string SystemFingerprint,
    IReadOnlyList<ChatChoice> Choices, Usage Usage)
{
    [JsonPropertyOrder(-1)]
    public string Object => "chat.completion";
}

/// <summary>One choice of a chat completion.</summary>
internal sealed record ChatChoice(int Index, ChatMessageOut Message, ChatLogprobs? Logprobs, string? FinishReason);

/// <summary>The assistant's message.</summary>
internal sealed record ChatMessageOut(string Role, string Content);

/// <summary>A streamed chat completion chunk.</summary>
internal sealed record ChatCompletionChunk(string Id, long Created, string Model, string SystemFingerprint,
    IReadOnlyList<ChatChunkChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage)
{
    [JsonPropertyOrder(-1)]
    public string Object => "chat.completion.chunk";
}

/// <summary>One choice's part of a chunk.</summary>
internal sealed record ChatChunkChoice(int Index, ChatDelta Delta, ChatLogprobs? Logprobs, string? FinishReason);

/// <summary>What a chunk adds to a choice's message: the role in its first chunk, then content.</summary>
internal sealed record ChatDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content);

/// <summary>Chat log-probabilities: one entry per generated token.</summary>
internal sealed record ChatLogprobs(IReadOnlyList<ChatTokenLogprob> Content);

/// <summary>A token with its log-probability, UTF-8 bytes and most likely alternatives.</summary>
internal sealed record ChatTokenLogprob(string Token, float Logprob, IReadOnlyList<int> Bytes, IReadOnlyList<ChatTopLogprob> TopLogprobs);

/// <summary>An alternative token.</summary>
internal sealed record ChatTopLogprob(string Token, float Logprob, IReadOnlyList<int> Bytes);

/// <summary>A whole text completion (legacy API).</summary>
internal sealed record TextCompletion(string Id, long Created, string Model, string SystemFingerprint,
    IReadOnlyList<TextChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage)
{
    [JsonPropertyOrder(-1)]
    public string Object => "text_completion";
}

/// <summary>One choice of a text completion (also the shape of a streamed chunk's choice).</summary>
internal sealed record TextChoice(int Index, string Text, TextLogprobs? Logprobs, string? FinishReason);

/// <summary>The legacy log-probabilities: parallel lists, and each token's alternatives as text → log-probability.</summary>
internal sealed record TextLogprobs(IReadOnlyList<string> Tokens, IReadOnlyList<float> TokenLogprobs,
    IReadOnlyList<Dictionary<string, float>> TopLogprobs, IReadOnlyList<int> TextOffset);

/// <summary>GET /v1/models.</summary>
internal sealed record ModelList(IReadOnlyList<ModelCard> Data)
{
    [JsonPropertyOrder(-1)]
    public string Object => "list";
}

/// <summary>The served model.</summary>
internal sealed record ModelCard(string Id, long Created, string OwnedBy, int MaxModelLen)
{
    [JsonPropertyOrder(-1)]
    public string Object => "model";
}

/// <summary>POST /tokenize.</summary>
internal sealed record TokenizeResult(IReadOnlyList<int> Tokens, int Count, int MaxModelLen);

/// <summary>POST /detokenize.</summary>
internal sealed record DetokenizeResult(string Prompt);

/// <summary>GET /health.</summary>
internal sealed record HealthStatus(string Status, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

/// <summary>An error response.</summary>
internal sealed record ErrorResponse(ErrorBody Error);

/// <summary>The error itself; param and code are null when they do not apply.</summary>
internal sealed record ErrorBody(string Message, string Type, string? Param, string? Code);
