using System.Buffers;
using System.Numerics.Tensors;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu.Ops;
using Transformer.Kernels.Tensors;

namespace Transformer.Kernels.Cpu;

/// <summary>Runs the backend operations on the host CPU.</summary>
public sealed class CpuBackend : IBackend
{
    private readonly ParallelOptions _parallel;

    /// <summary>Creates a backend with the given options (defaults: all cores).</summary>
    public CpuBackend(CpuBackendOptions? options = null)
    {
        Options = options ?? new CpuBackendOptions();
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = Options.EffectiveThreads };
    }

    /// <summary>The settings in force.</summary>
    public CpuBackendOptions Options { get; }

    /// <inheritdoc/>
    public string Description => $"cpu f32, {Options.EffectiveThreads} thread(s)";

    /// <inheritdoc/>
    public DeviceTensor Allocate(int rows, int columns) => new CpuTensor(rows, columns);

    /// <inheritdoc/>
    public DeviceTensor Upload(ReadOnlySpan<float> values, int rows, int columns)
    {
        if (values.Length != rows * columns) throw new ArgumentException($"{values.Length} values do not fill [{rows}, {columns}]");
        var tensor = new CpuTensor(rows, columns);
        values.CopyTo(tensor.Span);
        return tensor;
    }

    /// <inheritdoc/>
    public void Download(DeviceTensor source, Span<float> destination) => Cpu(source).Span.CopyTo(destination);

    /// <inheritdoc/>
    public DeviceWeight PrepareWeight(HostTensor matrix, WeightFormat format)
    {
        if (matrix.Shape.Count != 2) throw new ArgumentException($"tensor '{matrix.Name}' is not a matrix: {matrix}");
        return format switch
        {
            WeightFormat.F32 => new CpuF32Weight(matrix),
            _ => throw new NotSupportedException($"the CPU backend cannot hold weights as {format}"),
        };
    }

    /// <inheritdoc/>
    public KvCache CreateKvCache(int layers, int capacity, int kvHeads, int headDim) => new CpuKvCache(layers, capacity, kvHeads, headDim);

    /// <inheritdoc/>
    public RopeTable CreateRope(ReadOnlySpan<float> inverseFrequencies, int maxPositions, RopeStyle style) =>
        new CpuRopeTable(inverseFrequencies, maxPositions, style);

    /// <inheritdoc/>
    public void Embed(DeviceWeight table, ReadOnlySpan<int> tokens, DeviceTensor output)
    {
        var weights = F32(table);
        var rows = Cpu(output);
        for (int t = 0; t < tokens.Length; t++) weights.Row(tokens[t]).CopyTo(rows.Row(t));
    }

    /// <inheritdoc/>
    public void RmsNorm(DeviceTensor input, DeviceTensor weight, float eps, DeviceTensor output)
    {
        var x = Cpu(input);
        var y = Cpu(output);
        var w = Cpu(weight).Span;
        for (int t = 0; t < x.Rows; t++) Ops.RmsNorm.Compute(x.Row(t), w, eps, y.Row(t));
    }

    /// <inheritdoc/>
    public void MatMul(DeviceTensor input, ReadOnlySpan<DeviceWeight> weights, ReadOnlySpan<DeviceTensor> outputs)
    {
        if (weights.Length != outputs.Length) throw new ArgumentException("one output per weight");
        var x = Cpu(input);
        for (int j = 0; j < weights.Length; j++)
        {
            var w = F32(weights[j]);
            var y = Cpu(outputs[j]);
            CheckMatMulShapes(x, w, y);
            // Blocks of rows, so each task is big enough to outweigh its scheduling.
            int blockRows = Math.Max(1, w.OutFeatures / (Options.EffectiveThreads * 8));
            int blocks = (w.OutFeatures + blockRows - 1) / blockRows;
            Parallel.For(0, blocks, _parallel, block =>
            {
                int start = block * blockRows;
                int end = Math.Min(w.OutFeatures, start + blockRows);
                MatMulF32.ComputeRows(x.Span, x.Rows, w.Values, w.InFeatures, w.OutFeatures, y.Span, start, end);
            });
        }
    }

    /// <inheritdoc/>
    public void AddBias(DeviceTensor x, DeviceTensor bias)
    {
        var rows = Cpu(x);
        var b = Cpu(bias).Span;
        for (int t = 0; t < rows.Rows; t++) TensorPrimitives.Add(rows.Row(t), b, rows.Row(t));
    }

    /// <inheritdoc/>
    public void ApplyRope(DeviceTensor x, int headDim, int startPosition, RopeTable rope)
    {
        var rows = Cpu(x);
        var table = (CpuRopeTable)rope;
        int pairs = table.RotaryPairs;
        for (int t = 0; t < rows.Rows; t++)
        {
            int position = startPosition + t;
            Rope.Apply(rows.Row(t), headDim, table.Cos.AsSpan(position * pairs, pairs), table.Sin.AsSpan(position * pairs, pairs), table.Style);
        }
    }

    /// <inheritdoc/>
    public void StoreKv(KvCache cache, int layer, int startPosition, DeviceTensor k, DeviceTensor v)
    {
        var kv = (CpuKvCache)cache;
        var keys = Cpu(k);
        var values = Cpu(v);
        int d = kv.HeadDim;
        for (int t = 0; t < keys.Rows; t++)
        {
            int position = startPosition + t;
            for (int h = 0; h < kv.KvHeads; h++)
            {
                keys.Row(t).Slice(h * d, d).CopyTo(kv.Keys(layer, h).Slice(position * d, d));
                values.Row(t).Slice(h * d, d).CopyTo(kv.Values(layer, h).Slice(position * d, d));
            }
        }
    }

    /// <inheritdoc/>
    public void Attention(DeviceTensor q, KvCache cache, int layer, int startPosition, DeviceTensor output)
    {
        var kv = (CpuKvCache)cache;
        var queries = Cpu(q);
        var outputs = Cpu(output);
        int d = kv.HeadDim;
        int heads = queries.Columns / d;
        int groupSize = heads / kv.KvHeads;
        Parallel.For(0, queries.Rows * heads, _parallel, item =>
        {
            int t = item / heads, h = item % heads;
            int length = startPosition + t + 1;
            int kvHead = h / groupSize;
            float[] scores = ArrayPool<float>.Shared.Rent(length);
            Ops.Attention.Compute(queries.Row(t).Slice(h * d, d), kv.Keys(layer, kvHead), kv.Values(layer, kvHead),
                length, scores, outputs.Row(t).Slice(h * d, d));
            ArrayPool<float>.Shared.Return(scores);
        });
    }

    /// <inheritdoc/>
    public void SwiGlu(DeviceTensor gate, DeviceTensor up, DeviceTensor output) =>
        Ops.SwiGlu.Compute(Cpu(gate).Span, Cpu(up).Span, Cpu(output).Span);

    /// <inheritdoc/>
    public void Add(DeviceTensor x, DeviceTensor y) => TensorPrimitives.Add(Cpu(x).Span, Cpu(y).Span, Cpu(x).Span);

    /// <inheritdoc/>
    public int Argmax(DeviceTensor row) => TensorPrimitives.IndexOfMax(Cpu(row).Span);

    /// <inheritdoc/>
    public void Dispose() { }

    private static CpuTensor Cpu(DeviceTensor tensor) =>
        tensor as CpuTensor ?? throw new ArgumentException($"a {tensor.GetType().Name} does not belong to the CPU backend");

    private static CpuF32Weight F32(DeviceWeight weight) =>
        weight as CpuF32Weight ?? throw new ArgumentException($"weight '{weight.Name}' ({weight.Format}) does not belong to this CPU backend");

    private static void CheckMatMulShapes(CpuTensor x, CpuF32Weight w, CpuTensor y)
    {
        if (x.Columns != w.InFeatures || y.Columns != w.OutFeatures || y.Rows != x.Rows)
            throw new ArgumentException($"matmul shapes: x[{x.Rows}, {x.Columns}] · '{w.Name}'ᵀ[{w.InFeatures}, {w.OutFeatures}] → y[{y.Rows}, {y.Columns}]");
    }
}
