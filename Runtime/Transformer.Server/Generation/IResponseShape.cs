using System.Text.Json.Serialization.Metadata;
using Transformer.Server.Api;

namespace Transformer.Server.Generation;

/// <summary>How one endpoint spells its chunks and its whole response (chat and legacy completions differ only here).</summary>
internal interface IResponseShape<TChunk, TWhole>
{
    JsonTypeInfo<TChunk> ChunkType { get; }
    JsonTypeInfo<TWhole> WholeType { get; }

    /// <summary>Chunks sent before any token (chat: each choice's role).</summary>
    IEnumerable<TChunk> Opening(int choices);

    /// <summary>A chunk with new text of a choice (and its tokens' log-probabilities when asked for).</summary>
    TChunk Delta(int index, string text, IReadOnlyList<TextToken> tokens);

    /// <summary>The chunk that ends a choice.</summary>
    TChunk Finish(int index, string reason);

    /// <summary>The last chunk when stream_options.include_usage is set: no choices, the usage.</summary>
    TChunk UsageChunk(Usage usage);

    /// <summary>The whole response of a request that did not stream.</summary>
    TWhole Whole(IReadOnlyList<ChoiceResult> choices, Usage usage);
}

/// <summary>One finished choice.</summary>
internal sealed record ChoiceResult(int Index, string Text, IReadOnlyList<TextToken> Tokens, string FinishReason);
