using Transformer.Kernels.Backend;
using Transformer.Loader.Config;

namespace Transformer.Runtime.NomicBert;

/// <summary>The activations of one nomic-bert forward pass over <c>rows</c> packed tokens.</summary>
internal sealed class NomicBertBuffers : IDisposable
{
    private readonly int _rows, _maxPositions;

    public NomicBertBuffers(IBackend backend, int rows, NomicBertConfig config)
    {
        (_rows, _maxPositions) = (rows, config.MaxPositions);
        int hidden = config.HiddenSize;
        Residual = backend.Allocate(rows, hidden);
        Scratch = backend.Allocate(rows, hidden);
        Query = backend.Allocate(rows, hidden);
        Key = backend.Allocate(rows, hidden);
        Value = backend.Allocate(rows, hidden);
        Attended = backend.Allocate(rows, hidden);
        Gate = backend.Allocate(rows, config.IntermediateSize);
        Up = backend.Allocate(rows, config.IntermediateSize);
    }

    /// <summary>The hidden state x.</summary>
    public DeviceTensor Residual { get; }
    /// <summary>Embeddings to add, and each block's output before the residual add.</summary>
    public DeviceTensor Scratch { get; }
    /// <summary>Attention projections and result.</summary>
    public DeviceTensor Query { get; }
    /// <inheritdoc cref="Query"/>
    public DeviceTensor Key { get; }
    /// <inheritdoc cref="Query"/>
    public DeviceTensor Value { get; }
    /// <inheritdoc cref="Query"/>
    public DeviceTensor Attended { get; }
    /// <summary>The MLP's gate (then its product) and up projections.</summary>
    public DeviceTensor Gate { get; }
    /// <inheritdoc cref="Gate"/>
    public DeviceTensor Up { get; }

    /// <summary>
    /// A step layout carrying each row's position in its sentence, which is all <see cref="IBackend.ApplyRope"/> reads:
    /// one block as long as the positions, shared by every row (an encoder stores no keys, so slots are never used).
    /// </summary>
    public StepLayout Positions(ReadOnlySpan<int> positions)
    {
        var layout = new StepLayout(_maxPositions);
        int table = layout.AddBlockTable([0]);
        for (int r = 0; r < _rows; r++) layout.AddRow(table, positions[r], attendFrom: 0, wantLogits: false);
        return layout;
    }

    public void Dispose()
    {
        foreach (var t in new[] { Residual, Scratch, Query, Key, Value, Attended, Gate, Up }) t.Dispose();
    }
}
