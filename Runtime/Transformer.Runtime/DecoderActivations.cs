using Transformer.Kernels.Backend;
using Transformer.Loader.Config;

namespace Transformer.Runtime;

/// <summary>
/// Scratch activations for steps of up to <see cref="Rows"/> rows, of which up to
/// <see cref="LogitRows"/> want logits. Each forward pass uses row slices of these, so a steady decode
/// loop allocates nothing.
/// </summary>
internal sealed class DecoderActivations : IDisposable
{
    private RowViews? _views;

    public DecoderActivations(IBackend backend, ModelConfig c, int rows, int logitRows)
    {
        if (rows < 1 || logitRows < 1 || logitRows > rows)
            throw new ArgumentOutOfRangeException(nameof(logitRows), $"activations for {rows} rows with {logitRows} logit rows");
        Rows = rows;
        LogitRows = logitRows;
        HeadDim = c.HeadDim;
        Residual = backend.Allocate(rows, c.HiddenSize);
        Normed = backend.Allocate(rows, c.HiddenSize);
        Projected = backend.Allocate(rows, c.HiddenSize);
        Query = backend.Allocate(rows, c.QueryWidth);
        Key = backend.Allocate(rows, c.KvWidth);
        Value = backend.Allocate(rows, c.KvWidth);
        Attended = backend.Allocate(rows, c.QueryWidth);
        Gate = backend.Allocate(rows, c.IntermediateSize);
        Up = backend.Allocate(rows, c.IntermediateSize);
        Gathered = backend.Allocate(logitRows, c.HiddenSize);
        GatheredNormed = backend.Allocate(logitRows, c.HiddenSize);
        Logits = backend.Allocate(logitRows, c.VocabSize);
    }

    public int Rows { get; }
    public int LogitRows { get; }
    public int HeadDim { get; }
    public DeviceTensor Residual { get; }
    public DeviceTensor Normed { get; }
    public DeviceTensor Projected { get; }
    public DeviceTensor Query { get; }
    public DeviceTensor Key { get; }
    public DeviceTensor Value { get; }
    public DeviceTensor Attended { get; }
    public DeviceTensor Gate { get; }
    public DeviceTensor Up { get; }
    public DeviceTensor Gathered { get; }
    public DeviceTensor GatheredNormed { get; }
    public DeviceTensor Logits { get; }

    /// <summary>
    /// Views of the first <paramref name="rows"/> rows of every activation (and of the first
    /// <paramref name="logitRows"/> logit rows), reused while the shape repeats: decode asks for the same
    /// views every step, so it creates no slice objects after the first.
    /// </summary>
    public RowViews Views(int rows, int logitRows)
    {
        if (rows > Rows || logitRows > LogitRows || logitRows < 0)
            throw new ArgumentOutOfRangeException(nameof(rows), $"a step of {rows} rows ({logitRows} with logits) exceeds activations for {Rows} ({LogitRows})");
        if (_views is { } cached && cached.Rows == rows && cached.LogitRows == logitRows) return cached;
        return _views = new RowViews(this, rows, logitRows);
    }

    public void Dispose()
    {
        foreach (var t in new[] { Residual, Normed, Projected, Query, Key, Value, Attended, Gate, Up, Gathered, GatheredNormed, Logits })
            t.Dispose();
    }
}

/// <summary>Row slices of the activations for one step shape.</summary>
internal sealed class RowViews
{
    public RowViews(DecoderActivations a, int rows, int logitRows)
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
        QueryHeads = Query.Reshape(rows * (Query.Columns / a.HeadDim), a.HeadDim);
        KeyHeads = Key.Reshape(rows * (Key.Columns / a.HeadDim), a.HeadDim);
        Gathered = a.Gathered.SliceRows(0, logitRows);
        GatheredNormed = a.GatheredNormed.SliceRows(0, logitRows);
        Logits = a.Logits.SliceRows(0, logitRows);
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
    /// <summary>The queries with one head per row, [rows·heads, headDim] (per-head norms).</summary>
    public DeviceTensor QueryHeads { get; }
    /// <summary>The keys with one head per row, [rows·kvHeads, headDim].</summary>
    public DeviceTensor KeyHeads { get; }
    /// <summary>The residual rows whose next token is wanted, gathered.</summary>
    public DeviceTensor Gathered { get; }
    /// <summary>Where those rows are normalized.</summary>
    public DeviceTensor GatheredNormed { get; }
    /// <summary>Where their logits go.</summary>
    public DeviceTensor Logits { get; }
}
