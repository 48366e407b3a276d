using Transformer.Kernels.Backend;

namespace Transformer.Runtime;

/// <summary>How a model is prepared and run.</summary>
public sealed record ModelOptions
{
    /// <summary>Format the backend holds matrices in (F32, or Q8 to quantize at load).</summary>
    public WeightFormat WeightFormat { get; init; } = WeightFormat.F32;

    /// <summary>
    /// Most prompt tokens processed in one batched pass; longer prompts run in chunks of this many.
    /// Bounds the activation memory of a sequence.
    /// </summary>
    public int PrefillChunk { get; init; } = 256;

    /// <summary>
    /// Positions per KV block. Every sequence's keys and values live in blocks of this many positions
    /// (a paged pool, shared between sequences by the serving scheduler).
    /// </summary>
    public int KvBlockSize { get; init; } = DefaultKvBlockSize;

    /// <summary>How keys and values are stored: float32 (exact) or f16 (half the memory).</summary>
    public KvDType KvType { get; init; } = KvDType.F32;

    /// <summary>
    /// The default block size: 16, as vLLM's default, wastes at most 15 positions per sequence and shares
    /// prefixes at a fine grain. Not yet chosen by measurement here (BENCHMARKS.md, fourth session): compare
    /// sizes with <c>transformer bench --concurrency 8 --kv-block-size N</c> on a quiet machine.
    /// </summary>
    public const int DefaultKvBlockSize = 16;

    /// <summary>
    /// Called with every named intermediate activation (e.g. <c>blk.3.attn_q</c>) when set: for
    /// dumping and comparing activations. Off by default because it copies each one to the host.
    /// </summary>
    public ActivationObserver? ActivationObserver { get; init; }
}

/// <summary>
/// Receives a named activation: the rows of one model step; <paramref name="startPosition"/> is the first
/// row's position (for a single sequence, the rows are positions [startPosition, startPosition + rows)).
/// </summary>
public delegate void ActivationObserver(string name, int startPosition, int rows, int columns, ReadOnlySpan<float> values);
