namespace Transformer.Serving;

/// <summary>The scheduler's state after its latest step, for metrics and health endpoints.</summary>
public sealed record SchedulerSnapshot
{
    /// <summary>Requests waiting for a place (not yet started, or preempted).</summary>
    public int Waiting { get; init; }
    /// <summary>Sequences being prefilled or decoded.</summary>
    public int Running { get; init; }
    /// <summary>KV blocks referenced by sequences.</summary>
    public int KvBlocksUsed { get; init; }
    /// <summary>KV blocks that can be allocated (free, or cached and unreferenced).</summary>
    public int KvBlocksFree { get; init; }
    /// <summary>KV blocks holding a shareable prefix.</summary>
    public int KvBlocksCached { get; init; }
    /// <summary>Blocks in the pool.</summary>
    public int KvBlocksTotal { get; init; }
    /// <summary>Prompt tokens looked up in the prefix cache.</summary>
    public long PrefixLookupTokens { get; init; }
    /// <summary>Of those, tokens whose KV was reused.</summary>
    public long PrefixHitTokens { get; init; }
    /// <summary>Tokens generated since start.</summary>
    public long GeneratedTokens { get; init; }
    /// <summary>Model steps run since start.</summary>
    public long Steps { get; init; }
    /// <summary>Times a sequence gave its blocks back to make room.</summary>
    public long Preemptions { get; init; }

    /// <summary>Share of looked-up prompt tokens served from the prefix cache (0 when none were looked up).</summary>
    public double PrefixHitRatio => PrefixLookupTokens == 0 ? 0 : (double)PrefixHitTokens / PrefixLookupTokens;
}
