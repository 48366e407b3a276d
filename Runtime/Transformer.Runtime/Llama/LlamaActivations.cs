using Transformer.Kernels.Backend;
using Transformer.Loader.Config;

namespace Transformer.Runtime.Llama;

/// <summary>
/// Scratch activations for up to <see cref="Rows"/> tokens at a time, owned by one sequence.
/// Each forward pass uses row slices of these, so decoding allocates nothing.
/// </summary>
internal sealed class LlamaActivations : IDisposable
{
    private readonly IBackend _backend;
    private readonly int _vocab;
    private DeviceTensor? _allLogits;
    private RowViews? _views;

    public LlamaActivations(IBackend backend, ModelConfig c, int rows)
    {
        _backend = backend;
        _vocab = c.VocabSize;
        Rows = rows;
        Residual = backend.Allocate(rows, c.HiddenSize);
        Normed = backend.Allocate(rows, c.HiddenSize);
        Projected = backend.Allocate(rows, c.HiddenSize);
        Query = backend.Allocate(rows, c.QueryWidth);
        Key = backend.Allocate(rows, c.KvWidth);
        Value = backend.Allocate(rows, c.KvWidth);
        Attended = backend.Allocate(rows, c.QueryWidth);
        Gate = backend.Allocate(rows, c.IntermediateSize);
        Up = backend.Allocate(rows, c.IntermediateSize);
        LastLogits = backend.Allocate(1, c.VocabSize);
    }

    public int Rows { get; }
    public DeviceTensor Residual { get; }
    public DeviceTensor Normed { get; }
    public DeviceTensor Projected { get; }
    public DeviceTensor Query { get; }
    public DeviceTensor Key { get; }
    public DeviceTensor Value { get; }
    public DeviceTensor Attended { get; }
    public DeviceTensor Gate { get; }
    public DeviceTensor Up { get; }
    public DeviceTensor LastLogits { get; }

    /// <summary>
    /// Views of the first <paramref name="rows"/> rows of every activation (and of the rows whose logits
    /// are wanted), reused while the shape repeats: decode asks for the same one-row views every step,
    /// so it creates no slice objects after the first.
    /// </summary>
    public RowViews Views(int rows, int logitRows)
    {
        if (_views is { } cached && cached.Rows == rows && cached.LogitRows == logitRows) return cached;
        return _views = new RowViews(this, rows, logitRows);
    }

    /// <summary>Logits for every row of a chunk; allocated on first use since generation never needs it.</summary>
    public DeviceTensor AllLogits => _allLogits ??= _backend.Allocate(Rows, _vocab);

    public void Dispose()
    {
        foreach (var t in new[] { Residual, Normed, Projected, Query, Key, Value, Attended, Gate, Up, LastLogits, _allLogits })
            t?.Dispose();
    }
}

/// <summary>Row slices of a sequence's activations for one forward-pass shape.</summary>
internal sealed class RowViews
{
    public RowViews(LlamaActivations a, int rows, int logitRows)
    {
        Rows = rows;
        LogitRows = logitRows;
        Residual = a.Residual.SliceRows(0, rows);
        Normed = a.Normed.SliceRows(0, rows);
        Projected = a.Projected.SliceRows(0, rows);
        Query = a.Query.SliceRows(0, rows);
        Key = a.Key.SliceRows(0, rows);
        Value = a.Value.SliceRows(0, rows);
        Attended = a.Attended.SliceRows(0, rows);
        Gate = a.Gate.SliceRows(0, rows);
        Up = a.Up.SliceRows(0, rows);
        LastResidual = Residual.SliceRows(rows - logitRows, logitRows);
        LastNormed = Normed.SliceRows(0, logitRows);
        Logits = logitRows == 1 ? a.LastLogits : a.AllLogits.SliceRows(0, logitRows);
    }

    public int Rows { get; }
    public int LogitRows { get; }
    public DeviceTensor Residual { get; }
    public DeviceTensor Normed { get; }
    public DeviceTensor Projected { get; }
    public DeviceTensor Query { get; }
    public DeviceTensor Key { get; }
    public DeviceTensor Value { get; }
    public DeviceTensor Attended { get; }
    public DeviceTensor Gate { get; }
    public DeviceTensor Up { get; }
    /// <summary>The residual rows whose next token is wanted.</summary>
    public DeviceTensor LastResidual { get; }
    /// <summary>Where those rows are normalized.</summary>
    public DeviceTensor LastNormed { get; }
    /// <summary>Where their logits go.</summary>
    public DeviceTensor Logits { get; }
}
