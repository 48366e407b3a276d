using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu.Threading;

namespace Transformer.Kernels.Cpu;

/// <summary>
/// Attention of every (row, head) pair of a step as pool items; reused across calls. Each item reads
/// only its own row's sequence, so a row's result does not depend on the other rows or the thread count.
/// </summary>
internal sealed class AttentionWork : IParallelWork
{
    // Each worker thread keeps its own scratch, grown to the longest span it has seen.
    [ThreadStatic] private static float[]? s_scores;
    [ThreadStatic] private static float[]? s_widened;

    private CpuTensor _queries = null!;
    private CpuTensor _outputs = null!;
    private CpuKvPool _pool = null!;
    private StepLayout _step = null!;
    private int _layer, _heads;
    private AttentionOptions _options;

    public int Prepare(CpuTensor queries, CpuKvPool pool, int layer, StepLayout step, CpuTensor outputs, AttentionOptions options)
    {
        if (queries.Rows != step.Rows || outputs.Rows != step.Rows)
            throw new ArgumentException($"attention over a step of {step.Rows} rows got {queries.Rows} query and {outputs.Rows} output rows");
        if (queries.Columns % pool.Shape.HeadDim != 0 || (queries.Columns / pool.Shape.HeadDim) % pool.Shape.KvHeads != 0)
            throw new ArgumentException($"{queries.Columns} query features are not a whole number of {pool.Shape.KvHeads} KV head groups of {pool.Shape.HeadDim}");
        _queries = queries;
        _pool = pool;
        _layer = layer;
        _step = step;
        _outputs = outputs;
        _options = options;
        _heads = queries.Columns / pool.Shape.HeadDim;
        return queries.Rows * _heads;
    }

    public void Execute(int index)
    {
        int d = _pool.Shape.HeadDim;
        int row = index / _heads, h = index % _heads;
        int to = _step.Positions[row], from = _options.FirstAttended(_step.AttendFrom[row], to);
        int kvHead = h / (_heads / _pool.Shape.KvHeads);
        int length = to - from + 1;
        // Grown in powers of two, so a growing context reallocates only a handful of times.
        if (s_scores is null || s_scores.Length < length) s_scores = new float[Math.Max(256, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)length))];
        if (_pool.Shape.Type == KvDType.F16 && (s_widened is null || s_widened.Length < _pool.Shape.BlockSize * d))
            s_widened = new float[_pool.Shape.BlockSize * d];
        Ops.PagedAttention.Compute(_queries.Row(row).Slice(h * d, d), _pool, _layer, kvHead, _step.BlockTables[_step.TableStart[row]..],
            from, to, s_scores, s_widened, _outputs.Row(row).Slice(h * d, d), _options.Scale, _options.SoftCap);
    }
}
