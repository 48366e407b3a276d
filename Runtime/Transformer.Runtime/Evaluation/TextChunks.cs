namespace Transformer.Runtime.Evaluation;

/// <summary>
/// How a tokenized text is cut for evaluation, as llama.cpp's perplexity tool cuts it: windows of
/// <see cref="Context"/> tokens starting every <see cref="Stride"/> tokens (whole windows only), each
/// window's first token replaced by BOS, and positions Context/2 … Context−2 of each window scored on the
/// token that follows them. Scoring only the second half gives every scored token at least Context/2
/// tokens of history, so the figure measures the model, not the cold start of each window. A teacher export
/// scores whole windows instead (<see cref="ScoreWholeWindow"/>), since a student learns from every position.
/// </summary>
public sealed record TextChunks
{
    /// <summary>Tokens per window.</summary>
    public required int Context { get; init; }

    /// <summary>Tokens between the starts of consecutive windows; <see cref="Context"/> gives disjoint windows.</summary>
    public required int Stride { get; init; }

    /// <summary>Score every position of a window (teacher export), not only its second half (perplexity).</summary>
    public bool ScoreWholeWindow { get; init; }

    /// <summary>The first scored position of a window.</summary>
    public int FirstScored => ScoreWholeWindow ? 0 : Context / 2;

    /// <summary>Positions scored per window.</summary>
    public int ScoredPerWindow => Context - 1 - FirstScored;

    /// <summary>How many whole windows <paramref name="tokens"/> tokens hold.</summary>
    public int Windows(int tokens) => tokens < Context ? 0 : (tokens - Context) / Stride + 1;

    /// <summary>Throws when the cut cannot score anything or does not fit the model.</summary>
    /// <exception cref="ArgumentException">Names the setting and the limit.</exception>
    public void Validate(int tokens, int modelContext)
    {
        if (Context < 4) throw new ArgumentException($"the evaluation context must be at least 4 tokens, got {Context}");
        if (Context > modelContext) throw new ArgumentException($"the evaluation context of {Context} tokens exceeds the model's context of {modelContext}");
        if (Stride < 1 || Stride > Context) throw new ArgumentException($"the stride must be in [1, {Context}] (the context), got {Stride}");
        if (Windows(tokens) == 0)
            throw new ArgumentException($"the text is {tokens} tokens, less than one evaluation window of {Context}; use a smaller context or more text");
    }
}
