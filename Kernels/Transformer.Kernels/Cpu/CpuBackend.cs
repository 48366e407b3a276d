using System.Numerics.Tensors;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Cpu.Ops;
using Transformer.Kernels.Cpu.Threading;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Tensors;

namespace Transformer.Kernels.Cpu;

/// <summary>Runs the backend operations on the host CPU.</summary>
public sealed class CpuBackend : IBackend
{
    private readonly WorkerPool _pool;
    private readonly MatMulWork _matMul;
    private readonly AttentionWork _attention = new();

    /// <summary>Creates a backend with the given options (defaults: all cores, best ISA path).</summary>
    public CpuBackend(CpuBackendOptions? options = null)
    {
        Options = options ?? new CpuBackendOptions();
        Isa = CpuIsaSelection.Resolve(Options.Isa, Environment.GetEnvironmentVariable(CpuIsaSelection.EnvironmentVariable));
        _pool = new WorkerPool(Options.EffectiveThreads);
        _matMul = new MatMulWork(Isa);
    }

    /// <summary>The settings in force.</summary>
    public CpuBackendOptions Options { get; }

    /// <summary>The instruction-set path the kernels run.</summary>
    public CpuIsa Isa { get; }

    /// <inheritdoc/>
    public string Description => $"cpu {CpuIsaSelection.Describe(Isa)}, {Options.EffectiveThreads} thread(s)";

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
            WeightFormat.F32 => FloatWeight(matrix),
            // Q8 blocks run along K; a matrix whose K is not a whole number of blocks stays float32.
            WeightFormat.Q8 when matrix.Shape[1] % Q8Format.BlockSize == 0 => new CpuQ8Weight(matrix.Name, Q8Weight.Quantize(matrix)),
            WeightFormat.Q8 => FloatWeight(matrix),
            _ => throw new NotSupportedException($"the CPU backend cannot hold weights as {format}"),
        };
    }

    /// <summary>
    /// A float-computing weight: F16/BF16 stay 16-bit (widened inside the kernels, half the bytes per
    /// token); anything else becomes or stays float32.
    /// </summary>
    private static DeviceWeight FloatWeight(HostTensor matrix) =>
        matrix.Type is DType.F16 or DType.BF16 ? new CpuHalfWeight(matrix) : new CpuF32Weight(matrix);

    /// <inheritdoc/>
    public DeviceWeight PrepareQuantizedWeight(string name, Q8Weight weight) => new CpuQ8Weight(name, weight);

    /// <inheritdoc/>
    public KvCache CreateKvCache(int layers, int capacity, int kvHeads, int headDim) => new CpuKvCache(layers, capacity, kvHeads, headDim);

    /// <inheritdoc/>
    public RopeTable CreateRope(ReadOnlySpan<float> inverseFrequencies, int maxPositions, RopeStyle style) =>
        new CpuRopeTable(inverseFrequencies, maxPositions, style);

    /// <inheritdoc/>
    public void Embed(DeviceWeight table, ReadOnlySpan<int> tokens, DeviceTensor output)
    {
        var rows = Cpu(output);
        for (int t = 0; t < tokens.Length; t++)
        {
            switch (table)
            {
                case CpuF32Weight f: f.Row(tokens[t]).CopyTo(rows.Row(t)); break;
                case CpuQ8Weight q: q.DequantizeRow(tokens[t], rows.Row(t)); break;
                case CpuHalfWeight h: h.WidenRow(tokens[t], rows.Row(t)); break;
                default: throw new ArgumentException($"weight '{table.Name}' ({table.Format}) does not belong to the CPU backend");
            }
        }
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
        _pool.Run(_matMul.Prepare(Cpu(input), weights, outputs, _pool.Threads), _matMul);
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
    public void Attention(DeviceTensor q, KvCache cache, int layer, int startPosition, DeviceTensor output) =>
        _pool.Run(_attention.Prepare(Cpu(q), (CpuKvCache)cache, layer, startPosition, Cpu(output)), _attention);

    /// <inheritdoc/>
    public void SwiGlu(DeviceTensor gate, DeviceTensor up, DeviceTensor output) =>
        Ops.SwiGlu.Compute(Cpu(gate).Span, Cpu(up).Span, Cpu(output).Span);

    /// <inheritdoc/>
    public void Add(DeviceTensor x, DeviceTensor y) => TensorPrimitives.Add(Cpu(x).Span, Cpu(y).Span, Cpu(x).Span);

    /// <inheritdoc/>
    public int Argmax(DeviceTensor row) => TensorPrimitives.IndexOfMax(Cpu(row).Span);

    /// <inheritdoc/>
    public void Dispose() => _pool.Dispose();

    private static CpuTensor Cpu(DeviceTensor tensor) =>
        tensor as CpuTensor ?? throw new ArgumentException($"a {tensor.GetType().Name} does not belong to the CPU backend");
}
