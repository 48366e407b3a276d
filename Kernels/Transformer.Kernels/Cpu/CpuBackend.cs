using System.Numerics.Tensors;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Cpu.Ops;
using Transformer.Kernels.Cpu.Threading;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Quantized.Ggml;
using Transformer.Kernels.Tensors;

namespace Transformer.Kernels.Cpu;

/// <summary>Runs the backend operations on the host CPU.</summary>
public sealed class CpuBackend : IBackend
{
    private readonly WorkerPool _pool;
    private readonly MatMulWork _matMul;
    private readonly AttentionWork _attention;
    private readonly BidirectionalAttentionWork _bidirectional;
    private readonly RowWork<RmsNormRows> _rmsNorm = new();
    private readonly RowWork<RopeRows> _rope = new();
    private readonly RowWork<GatedRows> _gated = new();

    /// <summary>Creates a backend with the given options (defaults: all cores, best ISA path).</summary>
    public CpuBackend(CpuBackendOptions? options = null)
    {
        Options = options ?? new CpuBackendOptions();
        Isa = CpuIsaSelection.Resolve(Options.Isa, Environment.GetEnvironmentVariable(CpuIsaSelection.EnvironmentVariable));
        _pool = new WorkerPool(Options.EffectiveThreads);
        _matMul = new MatMulWork(Isa);
        _attention = new AttentionWork(Isa);
        // The scalar ISA path forces the encoder ops' scalar references too, so every path can be run.
        _bidirectional = new BidirectionalAttentionWork { UseReference = Isa == CpuIsa.Scalar };
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
            WeightFormat.Q8 when matrix.Shape[1] % Q8Format.BlockSize == 0 => Q8(matrix.Name, Q8Weight.Quantize(matrix)),
            WeightFormat.Q8 => FloatWeight(matrix),
            WeightFormat.Q4 when matrix.Shape[1] % Q8Format.BlockSize == 0 => new CpuQ4Weight(matrix.Name, Q4Weight.Quantize(matrix)),
            WeightFormat.Q4 => FloatWeight(matrix),
            WeightFormat.Q4K or WeightFormat.Q6K or WeightFormat.Q4KM => KQuantWeight(matrix.Name, GgmlMixQuantized.Quantize(matrix, format)),
            _ => throw new NotSupportedException($"the CPU backend cannot hold weights as {format}"),
        };
    }

    /// <summary>
    /// A K-quant request as llama.cpp stores it: the K-quant kernels, int8 for its Q5_0 and Q8_0 fallbacks (exact), and
    /// float16 for rows that fit no block.
    /// </summary>
    private DeviceWeight KQuantWeight(string name, GgmlMixQuantized q) =>
        q.Q4K is { } q4k ? Q4K(name, q4k)
        : q.Q6K is { } q6k ? Q6K(name, q6k)
        : q.Q8 is { } q8 ? Q8(name, q8)
        : FloatWeight(q.F16!);

    /// <summary>
    /// An int8 weight, repacked once here where this backend's ISA path multiplies by the repack; the row-major
    /// weight is then not kept (every reader, the embedding lookup included, reads the repack).
    /// </summary>
    private CpuQ8Weight Q8(string name, Q8Weight weight) =>
        Q8MatMul.Interleaves(Isa) ? new(name, new Q8InterleavedWeight(weight)) : new(name, weight);

    /// <summary>
    /// A Q4_K weight, repacked once here (and the row-major one not kept) where this backend's ISA path multiplies by the
    /// repack; one whose scales the repack cannot hold exactly (not from ggml data) stays row-major, which every ISA multiplies by.
    /// </summary>
    private CpuQ4KWeight Q4K(string name, Q4KWeight weight) =>
        Q4KMatMul.Interleaves(Isa) && Q4KInterleavedWeight.TryRepack(weight, out var packed) ? new(name, packed) : new(name, weight);

    /// <summary>
    /// A Q6_K weight, repacked once here where this backend's ISA path multiplies by the repack (as <see cref="Q8"/>);
    /// one whose super-blocks do not share a d (not from ggml data) stays row-major, which every ISA multiplies by.
    /// </summary>
    private CpuQ6KWeight Q6K(string name, Q6KWeight weight) =>
        Q6KMatMul.Interleaves(Isa) && Q6KInterleavedWeight.CanRepack(weight) ? new(name, new Q6KInterleavedWeight(weight)) : new(name, weight);

    /// <summary>
    /// A float-computing weight: F16/BF16 stay 16-bit (widened inside the kernels, half the bytes per
    /// token); anything else becomes or stays float32.
    /// </summary>
    private static DeviceWeight FloatWeight(HostTensor matrix) =>
        matrix.Type is DType.F16 or DType.BF16 ? new CpuHalfWeight(matrix) : new CpuF32Weight(matrix);

    /// <inheritdoc/>
    public DeviceWeight PrepareQuantizedWeight(string name, Q8Weight weight) => Q8(name, weight);

    /// <inheritdoc/>
    public DeviceWeight PrepareQuantizedWeight(string name, Q4Weight weight) => new CpuQ4Weight(name, weight);

    /// <inheritdoc/>
    public DeviceWeight PrepareQuantizedWeight(string name, Q4KWeight weight) => Q4K(name, weight);

    /// <inheritdoc/>
    public DeviceWeight PrepareQuantizedWeight(string name, Q6KWeight weight) => Q6K(name, weight);

    /// <inheritdoc/>
    public KvPool CreateKvPool(KvPoolShape shape) => new CpuKvPool(shape);

    /// <inheritdoc/>
    public RopeTable CreateRope(ReadOnlySpan<float> inverseFrequencies, int maxPositions, RopeStyle style, float attentionFactor = 1f) =>
        new CpuRopeTable(inverseFrequencies, maxPositions, style, attentionFactor);

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
                case CpuQ4Weight q: q.Weight.DequantizeRow(tokens[t], rows.Row(t)); break;
                case CpuQ4KWeight q: q.DequantizeRow(tokens[t], rows.Row(t)); break;
                case CpuQ6KWeight q: q.DequantizeRow(tokens[t], rows.Row(t)); break;
                case CpuHalfWeight h: h.WidenRow(tokens[t], rows.Row(t)); break;
                default: throw new ArgumentException($"weight '{table.Name}' ({table.Format}) does not belong to the CPU backend");
            }
        }
    }

    /// <inheritdoc/>
    public void RmsNorm(DeviceTensor input, DeviceTensor weight, float eps, DeviceTensor output)
    {
        var x = Cpu(input);
        _rmsNorm.Run(_pool, new RmsNormRows(x, Cpu(weight), eps, Cpu(output)), x.Rows, x.Columns);
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
    public void ApplyRope(DeviceTensor x, int headDim, StepLayout step, RopeTable rope)
    {
        var rows = Cpu(x);
        var table = (CpuRopeTable)rope;
        int pairs = table.RotaryPairs;
        CheckRows(rows, step, "rope");
        if (headDim <= 0 || rows.Columns % headDim != 0 || 2 * pairs > headDim)
            throw new ArgumentException($"rope: rows of {rows.Columns} features do not split into heads of {headDim} with {pairs} rotated pairs");
        for (int r = 0; r < rows.Rows; r++)
            if (step.Positions[r] >= table.MaxPositions)
                throw new ArgumentOutOfRangeException(nameof(step), $"position {step.Positions[r]} is beyond the rope table's {table.MaxPositions}");
        _rope.Run(_pool, new RopeRows(rows, headDim, step, table), rows.Rows, rows.Columns);
    }

    /// <inheritdoc/>
    public void StoreKv(KvPool pool, int layer, StepLayout step, DeviceTensor k, DeviceTensor v)
    {
        var kv = Pool(pool);
        var keys = Cpu(k);
        var values = Cpu(v);
        CheckRows(keys, step, "StoreKv");
        int d = kv.Shape.HeadDim, blockSize = kv.Shape.BlockSize;
        bool half = kv.Shape.Type == KvDType.F16;
        for (int r = 0; r < keys.Rows; r++)
        {
            int block = step.Slots[r] / blockSize, at = step.Slots[r] % blockSize * d;
            for (int h = 0; h < kv.Shape.KvHeads; h++)
            {
                var key = keys.Row(r).Slice(h * d, d);
                var value = values.Row(r).Slice(h * d, d);
                if (half)
                {
                    TensorPrimitives.ConvertToHalf(key, kv.KeysF16(layer, block, h).Slice(at, d));
                    TensorPrimitives.ConvertToHalf(value, kv.ValuesF16(layer, block, h).Slice(at, d));
                }
                else
                {
                    key.CopyTo(kv.KeysF32(layer, block, h).Slice(at, d));
                    value.CopyTo(kv.ValuesF32(layer, block, h).Slice(at, d));
                }
            }
        }
    }

    /// <inheritdoc/>
    public void Attention(DeviceTensor q, KvPool pool, int layer, StepLayout step, DeviceTensor output, AttentionOptions options = default) =>
        _pool.Run(_attention.Prepare(Cpu(q), Pool(pool), layer, step, Cpu(output), options), _attention);

    /// <inheritdoc/>
    public void GatherRows(DeviceTensor source, StepLayout step, DeviceTensor destination)
    {
        var from = Cpu(source);
        var to = Cpu(destination);
        if (to.Rows != step.LogitRowCount || to.Columns != from.Columns)
            throw new ArgumentException($"gathering {step.LogitRowCount} rows of {from.Columns} into [{to.Rows}, {to.Columns}]");
        for (int i = 0; i < step.LogitRowCount; i++) from.Row(step.LogitRows[i]).CopyTo(to.Row(i));
    }

    /// <inheritdoc/>
    public void SwiGlu(DeviceTensor gate, DeviceTensor up, DeviceTensor output) => GatedActivation(gate, up, output, geGlu: false);

    /// <inheritdoc/>
    public void GeGlu(DeviceTensor gate, DeviceTensor up, DeviceTensor output) => GatedActivation(gate, up, output, geGlu: true);

    private void GatedActivation(DeviceTensor gate, DeviceTensor up, DeviceTensor output, bool geGlu)
    {
        var (g, u, y) = (Cpu(gate), Cpu(up), Cpu(output));
        if (u.Rows != g.Rows || y.Rows != g.Rows || u.Columns != g.Columns || y.Columns != g.Columns)
            throw new ArgumentException($"gated activation shapes: gate[{g.Rows}, {g.Columns}], up[{u.Rows}, {u.Columns}], out[{y.Rows}, {y.Columns}]");
        _gated.Run(_pool, new GatedRows(g, u, y, geGlu), g.Rows, g.Columns);
    }

    /// <inheritdoc/>
    public void LayerNorm(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, float eps, DeviceTensor output)
    {
        var (x, y) = (Cpu(input), Cpu(output));
        var w = Cpu(weight).Span;
        var b = Cpu(bias).Span;
        if (w.Length != x.Columns || b.Length != x.Columns || y.Rows != x.Rows || y.Columns != x.Columns)
            throw new ArgumentException($"layernorm shapes: x[{x.Rows}, {x.Columns}], weight {w.Length}, bias {b.Length}, out[{y.Rows}, {y.Columns}]");
        for (int t = 0; t < x.Rows; t++)
        {
            if (Isa == CpuIsa.Scalar) Ops.LayerNorm.Reference(x.Row(t), w, b, eps, y.Row(t));
            else Ops.LayerNorm.Compute(x.Row(t), w, b, eps, y.Row(t));
        }
    }

    /// <inheritdoc/>
    public void Gelu(DeviceTensor input, DeviceTensor output)
    {
        var x = Cpu(input).Span;
        var y = Cpu(output).Span;
        if (x.Length != y.Length) throw new ArgumentException($"gelu: {x.Length} inputs for {y.Length} outputs");
        if (Isa == CpuIsa.Scalar) Ops.Gelu.Reference(x, y);
        else Ops.Gelu.Compute(x, y);
    }

    /// <inheritdoc/>
    public void BidirectionalAttention(DeviceTensor q, DeviceTensor k, DeviceTensor v, int headDim, ReadOnlySpan<int> sequenceLengths, DeviceTensor output) =>
        _pool.Run(_bidirectional.Prepare(Cpu(q), Cpu(k), Cpu(v), headDim, sequenceLengths, Cpu(output)), _bidirectional);

    /// <inheritdoc/>
    public void Scale(DeviceTensor x, float factor) => TensorPrimitives.Multiply(Cpu(x).Span, factor, Cpu(x).Span);

    /// <inheritdoc/>
    public void SoftCap(DeviceTensor x, float cap) => Ops.SoftCap.Compute(Cpu(x).Span, cap);

    /// <inheritdoc/>
    public void Add(DeviceTensor x, DeviceTensor y) => TensorPrimitives.Add(Cpu(x).Span, Cpu(y).Span, Cpu(x).Span);

    /// <inheritdoc/>
    public int Argmax(DeviceTensor row) => TensorPrimitives.IndexOfMax(Cpu(row).Span);

    /// <inheritdoc/>
    public void Dispose() => _pool.Dispose();

    private static void CheckRows(CpuTensor rows, StepLayout step, string op)
    {
        if (rows.Rows != step.Rows) throw new ArgumentException($"{op}: a tensor of {rows.Rows} rows for a step of {step.Rows}");
    }

    private static CpuKvPool Pool(KvPool pool) =>
        pool as CpuKvPool ?? throw new ArgumentException($"a {pool.GetType().Name} does not belong to the CPU backend");

    private static CpuTensor Cpu(DeviceTensor tensor) =>
        tensor as CpuTensor ?? throw new ArgumentException($"a {tensor.GetType().Name} does not belong to the CPU backend");

    private readonly record struct RmsNormRows(CpuTensor X, CpuTensor Weight, float Eps, CpuTensor Y) : IRowOp
    {
        public void Run(int row) => Ops.RmsNorm.Compute(X.Row(row), Weight.Span, Eps, Y.Row(row));
    }

    private readonly record struct RopeRows(CpuTensor X, int HeadDim, StepLayout Step, CpuRopeTable Table) : IRowOp
    {
        public void Run(int row)
        {
            int pairs = Table.RotaryPairs, position = Step.Positions[row];
            Rope.Apply(X.Row(row), HeadDim, Table.Cos.AsSpan(position * pairs, pairs), Table.Sin.AsSpan(position * pairs, pairs), Table.Style);
        }
    }

    private readonly record struct GatedRows(CpuTensor Gate, CpuTensor Up, CpuTensor Output, bool GeGlu) : IRowOp
    {
        public void Run(int row)
        {
            if (GeGlu) Ops.GeGlu.Compute(Gate.Row(row), Up.Row(row), Output.Row(row));
            else Ops.SwiGlu.Compute(Gate.Row(row), Up.Row(row), Output.Row(row));
        }
    }
}
