using Transformer.Kernels.Cpu.Ops;
using Transformer.Kernels.Cpu.Threading;

namespace Transformer.Kernels.Cpu;

/// <summary>
/// Encoder attention of every (row, head) pair of a batch of packed sequences as pool items; each row attends to
/// the rows of its own sequence only, which is what an attention mask over padded sequences computes. Reused
/// across calls; the scalar path can be forced for tests.
/// </summary>
internal sealed class BidirectionalAttentionWork : IParallelWork
{
    [ThreadStatic] private static float[]? s_scores;

    private CpuTensor _q = null!, _k = null!, _v = null!, _output = null!;
    private int[] _sequenceStart = [];
    private int[] _sequenceLength = [];
    private int _heads, _headDim;
    private float _scale;

    /// <summary>Runs the scalar reference instead of the vectorised path.</summary>
    public bool UseReference { get; set; }

    public int Prepare(CpuTensor q, CpuTensor k, CpuTensor v, int headDim, ReadOnlySpan<int> sequenceLengths, CpuTensor output)
    {
        if (headDim <= 0 || q.Columns % headDim != 0)
            throw new ArgumentException($"bidirectional attention: {q.Columns} features do not split into heads of {headDim}");
        if (k.Rows != q.Rows || v.Rows != q.Rows || output.Rows != q.Rows || k.Columns != q.Columns || v.Columns != q.Columns || output.Columns != q.Columns)
            throw new ArgumentException($"bidirectional attention shapes: q[{q.Rows}, {q.Columns}], k[{k.Rows}, {k.Columns}], v[{v.Rows}, {v.Columns}], out[{output.Rows}, {output.Columns}]");
        if (_sequenceStart.Length < q.Rows)
        {
            _sequenceStart = new int[q.Rows];
            _sequenceLength = new int[q.Rows];
        }
        int row = 0;
        foreach (int length in sequenceLengths)
        {
            if (length <= 0) throw new ArgumentException($"bidirectional attention: a sequence of {length} rows");
            if (row + length > q.Rows) throw new ArgumentException($"bidirectional attention: sequences of {row + length}+ rows for a tensor of {q.Rows}");
            for (int r = row; r < row + length; r++) (_sequenceStart[r], _sequenceLength[r]) = (row, length);
            row += length;
        }
        if (row != q.Rows) throw new ArgumentException($"bidirectional attention: sequences of {row} rows for a tensor of {q.Rows}");
        (_q, _k, _v, _output) = (q, k, v, output);
        _headDim = headDim;
        _heads = q.Columns / headDim;
        _scale = 1f / MathF.Sqrt(headDim);
        return q.Rows * _heads;
    }

    public void Execute(int index)
    {
        int row = index / _heads, offset = index % _heads * _headDim;
        int start = _sequenceStart[row], length = _sequenceLength[row], stride = _q.Columns;
        if (s_scores is null || s_scores.Length < length) s_scores = new float[Math.Max(256, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)length))];
        var query = _q.Row(row).Slice(offset, _headDim);
        var keys = _k.Span[(start * stride)..((start + length) * stride)];
        var values = _v.Span[(start * stride)..((start + length) * stride)];
        var output = _output.Row(row).Slice(offset, _headDim);
        if (UseReference)
            BidirectionalAttention.Reference(query, keys, values, length, stride, offset, _headDim, _scale, s_scores, output);
        else
            BidirectionalAttention.Compute(query, keys, values, length, stride, offset, _headDim, _scale, s_scores, output);
    }
}
