using System.Text.Json.Serialization.Metadata;
using Transformer.Server.Api;

namespace Transformer.Server.Generation;

/// <summary>/v1/completions: <c>text_completion</c> objects, whole or as chunks.</summary>
internal sealed class TextShape(string id, long created, string model, string fingerprint, bool logprobs)
    : IResponseShape<TextCompletion, TextCompletion>
{
    public JsonTypeInfo<TextCompletion> ChunkType => ServerJsonContext.Api.TextCompletion;
    public JsonTypeInfo<TextCompletion> WholeType => ServerJsonContext.Api.TextCompletion;

    public IEnumerable<TextCompletion> Opening(int choices) => [];

    public TextCompletion Delta(int index, string text, IReadOnlyList<TextToken> tokens) =>
        Chunk([new TextChoice(index, text, logprobs ? LogprobFormats.Legacy(tokens) : null, null)]);

    public TextCompletion Finish(int index, string reason) => Chunk([new TextChoice(index, "", null, reason)]);

    public TextCompletion UsageChunk(Usage usage) => new(id, created, model, fingerprint, [], usage);

    public TextCompletion Whole(IReadOnlyList<ChoiceResult> choices, Usage usage) => new(id, created, model, fingerprint,
        [.. choices.Select(c => new TextChoice(c.Index, c.Text, logprobs ? LogprobFormats.Legacy(c.Tokens) : null, c.FinishReason))],
        usage);

    private TextCompletion Chunk(IReadOnlyList<TextChoice> choices) => new(id, created, model, fingerprint, choices, null);
}
