using Transformer.Kernels.Backend;

namespace Transformer.Serving;

/// <summary>How a <see cref="Scheduler"/> shares the model between requests.</summary>
public sealed record ServingOptions
{
    /// <summary>Most sequences decoded together (each step decodes one token of every running sequence).</summary>
    public int MaxSequences { get; init; } = 16;

    /// <summary>Most requests waiting for a place; beyond it <see cref="Scheduler.Submit"/> throws <see cref="QueueFullException"/>.</summary>
    public int QueueLimit { get; init; } = 64;

    /// <summary>Most rows (tokens) in one model step: decode tokens first, prompt chunks fill the rest.</summary>
    public int StepTokenBudget { get; init; } = 256;

    /// <summary>Memory for the KV pool; null takes <see cref="DefaultKvMemory"/>.</summary>
    public long? KvMemoryBytes { get; init; }

    /// <summary>How keys and values are stored.</summary>
    public KvDType KvType { get; init; } = KvDType.F32;

    /// <summary>Whether full blocks are shared between requests with the same prefix.</summary>
    public bool PrefixCaching { get; init; } = true;

    /// <summary>
    /// The default KV memory: a quarter of the memory the process may use, but no more than
    /// <paramref name="fullContexts"/> bytes (every sequence at its full context), which is all it can use.
    /// </summary>
    public static long DefaultKvMemory(long fullContexts) =>
        Math.Min(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4, fullContexts);

    /// <summary>Throws on values outside their ranges, naming the setting.</summary>
    public void Validate()
    {
        if (MaxSequences < 1) throw new ArgumentOutOfRangeException(nameof(MaxSequences), MaxSequences, "max sequences must be at least 1");
        if (QueueLimit < 0) throw new ArgumentOutOfRangeException(nameof(QueueLimit), QueueLimit, "the queue limit must be ≥ 0");
        if (StepTokenBudget < MaxSequences)
            throw new ArgumentOutOfRangeException(nameof(StepTokenBudget), StepTokenBudget, $"the step token budget must hold a decode token of each of the {MaxSequences} sequences");
        if (KvMemoryBytes is <= 0) throw new ArgumentOutOfRangeException(nameof(KvMemoryBytes), KvMemoryBytes, "KV memory must be positive");
    }
}
