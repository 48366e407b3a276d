using System.Numerics.Tensors;


namespace Transformer.Runtime.Evaluation;

/// <summary>
/// Runs a model over a tokenized text window by window (<see cref="TextChunks"/>) and yields the log-softmax
/// of every scored position. Each window is a fresh sequence fed in slices, so memory stays at one slice of
/// logits whatever the context or vocabulary.
/// </summary>
public static class PerplexityScorer
{
    // Tokens per forward call: enough rows for the batched matmuls, few enough that slice × vocab floats stay small.
    private const int SliceTokens = 64;

    /// <summary>Scores every window of <paramref name="tokens"/>; <paramref name="progress"/> gets the windows done so far.</summary>
    /// <exception cref="ArgumentException">The cut does not fit the text or the model (see <see cref="TextChunks.Validate"/>), or a token id is outside the vocabulary.</exception>
    public static IEnumerable<ScoredPosition> Score(DecoderModel model, IReadOnlyList<int> tokens, int bosId, TextChunks chunks,
        IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        chunks.Validate(tokens.Count, model.MaxSequenceLength);
        int vocab = model.Config.VocabSize;
        if ((uint)bosId >= (uint)vocab) throw new ArgumentException($"BOS id {bosId} is outside the vocabulary [0, {vocab})");
        for (int i = 0; i < tokens.Count; i++)
            if ((uint)tokens[i] >= (uint)vocab) throw new ArgumentException($"token {i} is {tokens[i]}, outside the vocabulary [0, {vocab})");
        return Windows(model, tokens, bosId, chunks, progress, cancellation);
    }

    private static IEnumerable<ScoredPosition> Windows(DecoderModel model, IReadOnlyList<int> tokens, int bosId, TextChunks chunks,
        IProgress<int>? progress, CancellationToken cancellation)
    {
        int vocab = model.Config.VocabSize, ctx = chunks.Context;
        var logits = new float[SliceTokens * vocab];
        var row = new float[vocab];
        var window = new int[ctx];
        using var sequence = model.CreateSequence(ctx);
        int windows = chunks.Windows(tokens.Count);
        for (int w = 0; w < windows; w++)
        {
            int start = w * chunks.Stride;
            for (int i = 0; i < ctx; i++) window[i] = tokens[start + i];
            window[0] = bosId;
            sequence.Truncate(0);
            for (int sliceStart = 0; sliceStart < ctx - 1; sliceStart += SliceTokens)
            {
                cancellation.ThrowIfCancellationRequested();
                // The last window token predicts nothing inside the window: it is never fed.
                int count = Math.Min(SliceTokens, ctx - 1 - sliceStart);
                sequence.AppendAll(window.AsSpan(sliceStart, count), logits.AsSpan(0, count * vocab));
                for (int i = 0; i < count; i++)
                {
                    int position = sliceStart + i;
                    if (position < chunks.FirstScored) continue;
                    float logSumExp = LogSoftmax(logits.AsSpan(i * vocab, vocab), row);
                    int next = window[position + 1];
                    yield return new ScoredPosition(w, position, next, row[next], row, logSumExp);
                }
            }
            progress?.Report(w + 1);
        }
    }

    /// <summary>
    /// ln softmax(logits), computed as logits − max − ln Σ exp(logits − max) so nothing overflows; returns the
    /// subtracted ln Σ exp(logits).
    /// </summary>
    public static float LogSoftmax(ReadOnlySpan<float> logits, Span<float> destination)
    {
        float max = TensorPrimitives.Max(logits);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += Math.Exp(logits[i] - max);
        float shift = max + (float)Math.Log(sum);
        TensorPrimitives.Subtract(logits, shift, destination);
        return shift;
    }
}
