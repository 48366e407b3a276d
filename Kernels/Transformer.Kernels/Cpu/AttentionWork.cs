using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Cpu.Threading;

namespace Transformer.Kernels.Cpu;

/// <summary>
/// Attention of every (row, KV head) pair of a step as pool items, each computing the query heads of that
/// KV head's group together so the group's keys and values are read once; reused across calls. Each item
/// reads only its own row's sequence, so a row's result does not depend on the other rows or the thread count.
/// </summary>
internal sealed class AttentionWork(CpuIsa isa) : IParallelWork
{
    // Each worker thread keeps its own scratch, grown to the longest span it has seen.
    [ThreadStatic] private static float[]? s_scores;
    [ThreadStatic] private static float[]? s_widened;

    private CpuTensor _queries = null!;
    private CpuTensor _outputs = null!;
    private CpuKvPool _pool = null!;
    private StepLayout _step = null!;
    private int _layer, _heads, _group;
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
        _group = _heads / pool.Shape.KvHeads;
        return queries.Rows * pool.Shape.KvHeads;
    }

    public void Execute(int index)
    {
        int d = _pool.Shape.HeadDim, kvHeads = _pool.Shape.KvHeads;
        int row = index / kvHeads, kvHead = index % kvHeads;
        int to = _step.Positions[row], from = _options.FirstAttended(_step.AttendFrom[row], to);
        int scoresNeeded = _group * (to - from + 1);
        // Grown in powers of two, so a growing context reallocates only a handful of times.
        if (s_scores is null || s_scores.Length < scoresNeeded) s_scores = new float[Math.Max(256, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)scoresNeeded))];
        if (_pool.Shape.Type == KvDType.F16 && (s_widened is null || s_widened.Length < _pool.Shape.BlockSize * d))
            s_widened = new float[_pool.Shape.BlockSize * d];
        int columns = kvHead * _group * d, width = _group * d;
        Ops.PagedAttention.Compute(_queries.Row(row).Slice(columns, width), _group, _pool, _layer, kvHead, _step.BlockTables[_step.TableStart[row]..],
            from, to, s_scores, s_widened, _outputs.Row(row).Slice(columns, width), isa, _options.Scale, _options.SoftCap);
    }
}
