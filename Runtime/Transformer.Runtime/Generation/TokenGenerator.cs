using System.Diagnostics;
using Transformer.Runtime.Sampling;

namespace Transformer.Runtime.Generation;

/// <summary>
/// The generation loop on token ids: prefill the prompt in one batched pass, then decode one token
/// at a time, sampling each from the logits of the one before.
/// </summary>
public static class TokenGenerator
{
    /// <summary>
    /// Yields generated token ids (stop tokens are not yielded). The prompt is appended to
    /// <paramref name="sequence"/>, which must have room for it.
    /// </summary>
    /// <param name="sequence">The sequence to extend; its KV cache receives prompt and generated tokens.</param>
    /// <param name="prompt">Prompt ids, BOS included if wanted; at least one.</param>
    /// <param name="options">Limits and sampling.</param>
    /// <param name="stopTokens">Ids that end generation when <see cref="GenerationOptions.StopAtEos"/> is set.</param>
    /// <param name="stats">Filled in as generation runs.</param>
    /// <param name="cancellation">Checked before every token.</param>
    public static IEnumerable<int> Generate(Sequence sequence, IReadOnlyList<int> prompt, GenerationOptions options,
        IReadOnlyCollection<int> stopTokens, GenerationStats? stats = null, CancellationToken cancellation = default)
    {
        options.Validate();
        if (prompt.Count == 0) throw new ArgumentException("the prompt has no tokens: at least one (e.g. BOS) is needed", nameof(prompt));
        if (sequence.Length + prompt.Count > sequence.Capacity) throw new ContextOverflowException(sequence.Capacity, sequence.Length + prompt.Count);
        return Run(sequence, prompt, options, stopTokens, stats ?? new GenerationStats(), cancellation);
    }

    private static IEnumerable<int> Run(Sequence sequence, IReadOnlyList<int> prompt, GenerationOptions options,
        IReadOnlyCollection<int> stopTokens, GenerationStats stats, CancellationToken cancellation)
    {
        stats.PromptTokens = prompt.Count;
        stats.StopReason = StopReason.MaxTokens;
        if (options.MaxNewTokens == 0) yield break;

        var sampler = new Sampler(options.Sampling);
        var logits = new float[sequence.VocabSize];
        // The context the repetition penalty looks at: prompt, then every generated token. The sequence
        // bounds how many can be generated (the last one needs no position of its own).
        int mostGenerated = (int)Math.Min(options.MaxNewTokens, (long)sequence.Capacity - sequence.Length - prompt.Count + 1);
        var context = new int[prompt.Count + mostGenerated];
        for (int i = 0; i < prompt.Count; i++) context[i] = prompt[i];
        int contextLength = prompt.Count;

        long start = Stopwatch.GetTimestamp();
        int next = Step(sequence, context.AsSpan(0, contextLength), context.AsSpan(0, contextLength), prompt.Count, sampler, logits);
        stats.PrefillTime = GenerationStats.Since(start);

        var decodeTime = TimeSpan.Zero;
        for (int generated = 0; ; )
        {
            if (cancellation.IsCancellationRequested) { stats.StopReason = StopReason.Cancelled; yield break; }
            if (options.StopAtEos && stopTokens.Contains(next)) { stats.StopReason = StopReason.EndOfSequence; yield break; }

            context[contextLength++] = next;
            stats.GeneratedTokens = ++generated;
            yield return next;

            if (generated == options.MaxNewTokens) { stats.StopReason = StopReason.MaxTokens; yield break; }
            if (sequence.Length == sequence.Capacity) { stats.StopReason = StopReason.ContextFull; yield break; }

            start = Stopwatch.GetTimestamp();
            next = Step(sequence, context.AsSpan(contextLength - 1, 1), context.AsSpan(0, contextLength), prompt.Count, sampler, logits);
            decodeTime += GenerationStats.Since(start);
            stats.DecodeTime = decodeTime;
        }
    }

    /// <summary>Appends tokens and chooses the next one; greedy choices stay on the backend's device.</summary>
    private static int Step(Sequence sequence, ReadOnlySpan<int> tokens, ReadOnlySpan<int> context, int promptLength, Sampler sampler, float[] logits)
    {
        if (sampler.IsGreedy) return sequence.AppendAndArgmax(tokens);
        sequence.Append(tokens, logits);
        return sampler.Sample(logits, context, context[promptLength..]);
    }
}
