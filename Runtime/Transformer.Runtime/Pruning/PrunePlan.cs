namespace Transformer.Runtime.Pruning;

/// <summary>
/// What a pruned model keeps of its source, by original index: whole layers, and within every kept layer the same
/// number of MLP neurons and of GQA groups (a Hugging Face config has one width for all layers, so the counts are
/// uniform and only the choice differs by layer), the hidden channels, and optionally an unstructured mask.
/// Null means "all of them".
/// </summary>
public sealed record PrunePlan
{
    /// <summary>Original indices of the layers kept, ascending.</summary>
    public required IReadOnlyList<int> Layers { get; init; }

    /// <summary>Per kept layer (aligned with <see cref="Layers"/>): the MLP neurons kept, ascending; all the same count.</summary>
    public IReadOnlyList<IReadOnlyList<int>>? Neurons { get; init; }

    /// <summary>Per kept layer: the key/value heads kept (each with its query heads), ascending; all the same count.</summary>
    public IReadOnlyList<IReadOnlyList<int>>? KvGroups { get; init; }

    /// <summary>The hidden (residual-stream) channels kept, ascending.</summary>
    public IReadOnlyList<int>? HiddenChannels { get; init; }

    /// <summary>An unstructured mask applied to every linear of the kept layers, before the structured cuts.</summary>
    public UnstructuredMask? Mask { get; init; }
}

/// <summary>How unstructured weights are scored: Wanda (|W_ij|·‖X_j‖, Sun et al. 2023) or plain magnitude |W_ij|.</summary>
public enum MaskCriterion
{
    /// <summary>|W_ij|·‖X_j‖₂ with X_j the calibration inputs of channel j.</summary>
    Wanda,
    /// <summary>|W_ij|.</summary>
    Magnitude,
}

/// <summary>
/// Zero the <see cref="Sparsity"/> fraction of lowest-scored weights in every output row of every linear of the
/// kept layers (Wanda's per-output comparison group, used for both criteria so they differ only in the score).
/// </summary>
public sealed record UnstructuredMask(MaskCriterion Criterion, double Sparsity);
