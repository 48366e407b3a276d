namespace LlamaCppCompare;

/// <summary>
/// One loaded engine under a <see cref="BenchProtocol"/>. The driver loads every engine, warms each up,
/// then interleaves their timed repetitions (llama.cpp, ours int8, ours f32, llama.cpp, …) so that load
/// from other processes on a shared machine spreads over all engines instead of hitting one of them.
/// </summary>
public interface IBenchEngine : IDisposable
{
    /// <summary>Short name of the engine and weight format, e.g. "llama.cpp Q8_0".</summary>
    string Name { get; }

    /// <summary>What exactly runs (library, kernel path).</summary>
    string Detail { get; }

    /// <summary>Seconds loading took (for our engine including generating the weights).</summary>
    double LoadSeconds { get; }

    /// <summary>
    /// Untimed: prefills the prompt and decodes <see cref="BenchProtocol.WarmUpDecodeSteps"/> tokens from an
    /// empty cache; returns the logits after the prompt's last token.
    /// </summary>
    float[] WarmUp();

    /// <summary>
    /// Untimed, from an empty cache: the logits at every position of the first <paramref name="count"/> fixed ids,
    /// [count × vocab] row-major, for the logits agreement.
    /// </summary>
    float[] SequenceLogits(int count);

    /// <summary>One timed repetition from an empty cache: seconds for the prefill and for all decode steps.</summary>
    (double PrefillSeconds, double DecodeSeconds) RunOnce();

    /// <summary>
    /// Batched decode from an empty cache: <paramref name="sequences"/> prompts prefilled (untimed, one
    /// sequence at a time), then seconds for <see cref="BenchProtocol.GenTokens"/> steps that each decode
    /// one token of every sequence in one batch.
    /// </summary>
    double BatchedDecodeSeconds(int sequences);
}
