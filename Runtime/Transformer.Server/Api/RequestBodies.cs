using System.Text.Json;

namespace Transformer.Server.Api;

// Request bodies as the OpenAI API spells them (snake_case through ServerJsonContext). Fields with more
// than one shape (stop, prompt, messages) stay JsonElement and are read by hand, naming the field at fault.
// Fields this server does not know are ignored, as vLLM and OpenAI's own clients expect.

/// <summary>The generation fields /v1/chat/completions and /v1/completions share.</summary>
internal abstract class GenerationBody
{
    public string? Model { get; set; }
    public bool? Stream { get; set; }
    public StreamOptionsBody? StreamOptions { get; set; }
    public int? MaxTokens { get; set; }
    public float? Temperature { get; set; }
    public float? TopP { get; set; }
    public int? TopK { get; set; }
    public float? MinP { get; set; }
    public float? FrequencyPenalty { get; set; }
    public float? PresencePenalty { get; set; }
    public float? RepetitionPenalty { get; set; }
    public long? Seed { get; set; }
    public JsonElement? Stop { get; set; }
    public int? N { get; set; }
    /// <summary>vLLM's extension: keep generating past end-of-sequence tokens (benchmarks, tests of long generations).</summary>
    public bool? IgnoreEos { get; set; }
}

/// <summary><c>stream_options</c>.</summary>
internal sealed class StreamOptionsBody
{
    public bool? IncludeUsage { get; set; }
}

/// <summary>A /v1/chat/completions body (messages, tools and chat_template_kwargs are read by the chat template layer).</summary>
internal sealed class ChatCompletionBody : GenerationBody
{
    public JsonElement? Messages { get; set; }
    public int? MaxCompletionTokens { get; set; }
    public bool? Logprobs { get; set; }
    public int? TopLogprobs { get; set; }
}

/// <summary>A /v1/completions body.</summary>
internal sealed class CompletionBody : GenerationBody
{
    public JsonElement? Prompt { get; set; }
    /// <summary>The legacy API's count of alternatives per token (null: no log-probabilities).</summary>
    public int? Logprobs { get; set; }
    public bool? Echo { get; set; }
    public string? Suffix { get; set; }
}

/// <summary>A /v1/embeddings body; <c>input</c> (a string, strings, or token arrays) is read by hand.</summary>
internal sealed class EmbeddingsBody
{
    public string? Model { get; set; }
    public JsonElement? Input { get; set; }
    public string? EncodingFormat { get; set; }
    public int? Dimensions { get; set; }
    public string? User { get; set; }
}

/// <summary>A /tokenize body: a prompt, or chat messages rendered with the chat template.</summary>
internal sealed class TokenizeBody
{
    public string? Model { get; set; }
    public string? Prompt { get; set; }
    public JsonElement? Messages { get; set; }
    public bool? AddSpecialTokens { get; set; }
    public bool? AddGenerationPrompt { get; set; }
}

/// <summary>A /detokenize body.</summary>
internal sealed class DetokenizeBody
{
    public string? Model { get; set; }
    public int[]? Tokens { get; set; }
}
