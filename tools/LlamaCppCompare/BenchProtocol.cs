using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu.Isa;

namespace LlamaCppCompare;

/// <summary>
/// What every engine runs, identically: an untimed warm-up (prefill + a few decode steps), then
/// <see cref="Repetitions"/> timed runs from an empty cache (interleaved across engines), each one batched prefill of
/// <see cref="PromptTokens"/> tokens followed by <see cref="GenTokens"/> one-token decode steps fed fixed ids.
/// The best prefill and the best decode rate over the repetitions are reported.
/// </summary>
/// <param name="PromptTokens">Tokens of the prompt, decoded in one batch.</param>
/// <param name="GenTokens">Tokens decoded one at a time after the prompt.</param>
/// <param name="Repetitions">Timed repetitions after the warm-up.</param>
/// <param name="Threads">Threads each engine computes with.</param>
/// <param name="KvType">How both engines store keys and values in the batched comparison (F16 is llama.cpp's default).</param>
/// <param name="Isa">Our CPU path, or null for the fastest this CPU has (llama.cpp's build is chosen to match, <see cref="CompareOptions.Isa"/>).</param>
public sealed record BenchProtocol(int PromptTokens, int GenTokens, int Repetitions, int Threads, KvDType KvType = KvDType.F16, CpuIsa? Isa = null)
{
    /// <summary>Decode steps of the untimed warm-up.</summary>
    public const int WarmUpDecodeSteps = 8;

    /// <summary>Positions a run fills: prompt plus generated tokens.</summary>
    public int Positions => PromptTokens + GenTokens;

    /// <summary>
    /// The token ids fed to both engines: the prompt, then the decode inputs. Deterministic and spread over
    /// the vocabulary; with random weights their meaning is irrelevant, and feeding fixed ids (not each
    /// engine's own argmax) makes both run exactly the same token stream.
    /// </summary>
    public int[] TokenIds(int vocab) => TokenIds(vocab, sequence: 0);

    /// <summary>The ids of sequence <paramref name="sequence"/> of a batched run: each sequence its own stream.</summary>
    public int[] TokenIds(int vocab, int sequence)
    {
        var ids = new int[Positions];
        for (int i = 0; i < ids.Length; i++) ids[i] = (int)((i * 7919L + 3 + sequence * 104729L) % vocab);
        return ids;
    }
}

/// <summary>Rates one engine achieved under a <see cref="BenchProtocol"/>.</summary>
/// <param name="Engine">Short name of the engine and weight format, e.g. "llama.cpp Q8_0".</param>
/// <param name="Detail">What exactly ran (library, kernel path).</param>
/// <param name="LoadSeconds">Loading the model (for our engine this includes generating the weights).</param>
/// <param name="PrefillTokensPerSecond">Best prefill rate over the repetitions.</param>
/// <param name="DecodeTokensPerSecond">Best decode rate over the repetitions.</param>
/// <param name="PrefillLogits">Logits after the warm-up prompt's last token, for checking both engines run the same model.</param>
/// <param name="SequenceLogits">Logits at every position of the prompt's fixed ids, [prompt × vocab], for top-1 agreement and KL.</param>
public sealed record EngineResult(string Engine, string Detail, double LoadSeconds, double PrefillTokensPerSecond, double DecodeTokensPerSecond,
    float[] PrefillLogits, float[] SequenceLogits);
