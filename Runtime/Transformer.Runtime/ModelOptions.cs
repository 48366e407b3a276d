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
    /// Called with every named intermediate activation (e.g. <c>blk.3.attn_q</c>) when set: for
    /// dumping and comparing activations. Off by default because it copies each one to the host.
    /// </summary>
    public ActivationObserver? ActivationObserver { get; init; }
}

/// <summary>Receives a named activation: rows are tokens at positions [startPosition, startPosition + rows).</summary>
public delegate void ActivationObserver(string name, int startPosition, int rows, int columns, ReadOnlySpan<float> values);
