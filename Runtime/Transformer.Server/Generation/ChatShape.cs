using System.Text.Json.Serialization.Metadata;
using Transformer.Server.Api;

namespace Transformer.Server.Generation;

/// <summary>/v1/chat/completions: <c>chat.completion</c> and <c>chat.completion.chunk</c> objects.</summary>
internal sealed class ChatShape(string id, long created, string model, string fingerprint, bool logprobs)
    : IResponseShape<ChatCompletionChunk, ChatCompletion>
{
    public JsonTypeInfo<ChatCompletionChunk> ChunkType => ServerJsonContext.Api.ChatCompletionChunk;
    public JsonTypeInfo<ChatCompletion> WholeType => ServerJsonContext.Api.ChatCompletion;

    public IEnumerable<ChatCompletionChunk> Opening(int choices) =>
        Enumerable.Range(0, choices).Select(i => Chunk([new ChatChunkChoice(i, new ChatDelta("assistant", ""), null, null)]));

    public ChatCompletionChunk Delta(int index, string text, IReadOnlyList<TextToken> tokens) =>
        Chunk([new ChatChunkChoice(index, new ChatDelta(null, text), logprobs ? LogprobFormats.Chat(tokens) : null, null)]);

    public ChatCompletionChunk Finish(int index, string reason) => Chunk([new ChatChunkChoice(index, new ChatDelta(null, null), null, reason)]);

    public ChatCompletionChunk UsageChunk(Usage usage) => new(id, created, model, fingerprint, [], usage);

    public ChatCompletion Whole(IReadOnlyList<ChoiceResult> choices, Usage usage) => new(id, created, model, fingerprint,
        [.. choices.Select(c => new ChatChoice(c.Index, new ChatMessageOut("assistant", c.Text), logprobs ? LogprobFormats.Chat(c.Tokens) : null, c.FinishReason))],
        usage);

    private ChatCompletionChunk Chunk(IReadOnlyList<ChatChunkChoice> choices) => new(id, created, model, fingerprint, choices, null);
}
