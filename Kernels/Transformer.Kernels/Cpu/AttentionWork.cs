using Transformer.Kernels.Cpu.Threading;

namespace Transformer.Kernels.Cpu;

/// <summary>Attention of every (token, head) pair as pool items; reused across calls.</summary>
internal sealed class AttentionWork : IParallelWork
{
    // Each worker thread keeps its own scores buffer, grown to the longest context it has seen.
    [ThreadStatic] private static float[]? s_scores;

    private CpuTensor _queries = null!;
    private CpuTensor _outputs = null!;
    private CpuKvCache _cache = null!;
    private int _layer, _startPosition, _heads;

    public int Prepare(CpuTensor queries, CpuKvCache cache, int layer, int startPosition, CpuTensor outputs)
    {
        _queries = queries;
        _cache = cache;
        _layer = layer;
        _startPosition = startPosition;
        _outputs = outputs;
        _heads = queries.Columns / cache.HeadDim;
        return queries.Rows * _heads;
    }

    public void Execute(int index)
    {
        int d = _cache.HeadDim;
        int t = index / _heads, h = index % _heads;
        int length = _startPosition + t + 1;
        int kvHead = h / (_heads / _cache.KvHeads);
        // Grown in powers of two, so a growing context reallocates only a handful of times.
        if (s_scores is null || s_scores.Length < length) s_scores = new float[Math.Max(256, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)length))];
        Ops.Attention.Compute(_queries.Row(t).Slice(h * d, d), _cache.Keys(_layer, kvHead), _cache.Values(_layer, kvHead),
            length, s_scores, _outputs.Row(t).Slice(h * d, d));
    }
}
