namespace Transformer.Kernels.Cpu.Threading;

/// <summary>What a row-wise op does to row <c>row</c> of its tensors; implementations hold only references, so copies share them.</summary>
internal interface IRowOp
{
    void Run(int row);
}

/// <summary>
/// A row-wise op (norms, RoPE, gated activations) over the worker pool. Rows are independent and each is computed
/// whole by one thread, so how they are split changes no result. Reused per op type, so a step allocates nothing.
/// </summary>
internal sealed class RowWork<TOp> : IParallelWork where TOp : struct, IRowOp
{
    // Below this many values an op stays on the calling thread: a dispatch costs a microsecond or two, what an
    // RMSNorm of 8 × 576 values takes (a decode step of 8 sequences of smollm2-135m).
    private const int MinimumValues = 8192;

    private TOp _op;
    private int _rows, _rowsPerItem;

    /// <summary>Runs <paramref name="op"/> on rows [0, rows) of tensors <paramref name="columns"/> wide.</summary>
    public void Run(WorkerPool pool, TOp op, int rows, int columns)
    {
        if (pool.Threads == 1 || rows < 2 || (long)rows * columns < MinimumValues)
        {
            for (int r = 0; r < rows; r++) op.Run(r);
            return;
        }
        _op = op;
        _rows = rows;
        // Two items per thread: rows cost the same, so more would only add claims.
        _rowsPerItem = (rows + 2 * pool.Threads - 1) / (2 * pool.Threads);
        try
        {
            pool.Run((rows + _rowsPerItem - 1) / _rowsPerItem, this);
        }
        finally
        {
            _op = default; // drop the tensors until the next call
        }
    }

    public void Execute(int index)
    {
        int end = Math.Min(_rows, (index + 1) * _rowsPerItem);
        for (int r = index * _rowsPerItem; r < end; r++) _op.Run(r);
    }
}
