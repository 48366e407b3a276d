using ILGPU;
using ILGPU.Runtime;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Gpu.Devices;
using Transformer.Kernels.Gpu.Kernels;
using Transformer.Kernels.Gpu.Memory;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Quantized.Ggml;
using Transformer.Kernels.Tensors;

namespace Transformer.Kernels.Gpu;

/// <summary>
/// Runs the backend operations on an ILGPU accelerator (CUDA, OpenCL, or ILGPU's CPU emulator).
/// Weights, activations and the KV pool live in device memory; every op is queued on the
/// accelerator's default stream, and the host waits only in <see cref="Download"/> and
/// <see cref="Argmax"/>. A step's <see cref="StepLayout"/> is uploaded once, by the first op that needs
/// it. Not thread-safe: one forward pass at a time.
/// </summary>
public sealed class IlgpuBackend : IBackend
{
    private readonly Context? _ownedContext;
    private readonly bool _ownsAccelerator;
    private readonly IlgpuKernels _kernels;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _argmaxResult;
    private readonly IlgpuStepLayout _step;
    private MemoryBuffer1D<int, Stride1D.Dense>? _tokens;
    private MemoryBuffer1D<int, Stride1D.Dense>? _sequenceSpans;
    private bool _disposed;

    /// <summary>
    /// Runs on an accelerator the caller created and keeps ownership of (disposing the backend leaves
    /// it open). Tests share one accelerator across many backends this way.
    /// </summary>
    public IlgpuBackend(Accelerator accelerator, IlgpuLaunchSizes? sizes = null)
        : this(accelerator, sizes, ownedContext: null, ownsAccelerator: false, choice: null)
    {
    }

    private IlgpuBackend(Accelerator accelerator, IlgpuLaunchSizes? sizes, Context? ownedContext, bool ownsAccelerator, GpuDeviceChoice? choice)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        Accelerator = accelerator;
        Sizes = sizes ?? IlgpuLaunchSizes.For(accelerator);
        Sizes.Validate(accelerator);
        Choice = choice;
        _ownedContext = ownedContext;
        _ownsAccelerator = ownsAccelerator;
        _kernels = new IlgpuKernels(accelerator);
        _argmaxResult = accelerator.Allocate1D<int>(1);
        _step = new IlgpuStepLayout(accelerator);
    }

    /// <summary>
    /// Opens the device a kind names, in a context the backend owns. For <see cref="GpuDeviceKind.Auto"/>
    /// with no usable GPU, returns null and the choice says why: the caller then uses the CPU backend.
    /// </summary>
    /// <exception cref="GpuDeviceNotFoundException">An explicit kind (cuda, opencl, ilgpu-cpu) has no usable device.</exception>
    public static IlgpuBackend? Open(GpuDeviceKind kind, out GpuDeviceChoice choice, IlgpuLaunchSizes? sizes = null)
    {
        var context = GpuDeviceSelector.CreateContext();
        try
        {
            choice = GpuDeviceSelector.Choose(context, kind);
            if (choice.Device is null)
            {
                context.Dispose();
                return null;
            }
            var accelerator = choice.Device.CreateAccelerator(context);
            return new IlgpuBackend(accelerator, sizes, context, ownsAccelerator: true, choice);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>The accelerator the ops run on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The group sizes in force.</summary>
    public IlgpuLaunchSizes Sizes { get; }

    /// <summary>How the device was chosen, when the backend was created by <see cref="Open"/>; null for a caller's accelerator.</summary>
    public GpuDeviceChoice? Choice { get; }

    /// <inheritdoc/>
    public string Description =>
        $"ilgpu {Accelerator.AcceleratorType.ToString().ToLowerInvariant()} '{Accelerator.Name}'{GpuDeviceSelector.MemoryNote(Accelerator.AcceleratorType, Accelerator.MemorySize)}";

    private AcceleratorStream Stream => Accelerator.DefaultStream;

    /// <inheritdoc/>
    public DeviceTensor Allocate(int rows, int columns) => new IlgpuTensor(Accelerator, rows, columns);

    /// <inheritdoc/>
    public DeviceTensor Upload(ReadOnlySpan<float> values, int rows, int columns)
    {
        if (values.Length != (long)rows * columns) throw new ArgumentException($"{values.Length} values do not fill [{rows}, {columns}]");
        var tensor = new IlgpuTensor(Accelerator, rows, columns);
        if (!values.IsEmpty) tensor.View.CopyFromCPU(Stream, values);
        return tensor;
    }

    /// <inheritdoc/>
    public void Download(DeviceTensor source, Span<float> destination)
    {
        var tensor = Gpu(source);
        if (destination.Length != tensor.View.Length)
            throw new ArgumentException($"destination holds {destination.Length} floats, tensor [{tensor.Rows}, {tensor.Columns}] has {tensor.View.Length}");
        if (!destination.IsEmpty) tensor.View.CopyToCPU(Stream, destination);
        Stream.Synchronize();
    }

    /// <inheritdoc/>
    public DeviceWeight PrepareWeight(HostTensor matrix, WeightFormat format)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (matrix.Shape.Count != 2) throw new ArgumentException($"tensor '{matrix.Name}' is not a matrix: {matrix}");
        return format switch
        {
            WeightFormat.F32 => new IlgpuF32Weight(Accelerator, matrix),
            // As on the CPU: Q8 blocks run along K, so a matrix whose K is not a whole number of blocks stays float32.
            WeightFormat.Q8 when matrix.Shape[1] % Q8Format.BlockSize == 0 => new IlgpuQ8Weight(Accelerator, matrix.Name, Q8Weight.Quantize(matrix)),
            WeightFormat.Q8 => new IlgpuF32Weight(Accelerator, matrix),
            WeightFormat.Q4 when matrix.Shape[1] % Q8Format.BlockSize == 0 => new IlgpuQ4Weight(Accelerator, matrix.Name, Q4Weight.Quantize(matrix)),
            WeightFormat.Q4 => new IlgpuF32Weight(Accelerator, matrix),
            WeightFormat.Q4K or WeightFormat.Q6K or WeightFormat.Q4KM => KQuantWeight(matrix.Name, GgmlMixQuantized.Quantize(matrix, format)),
            _ => throw new NotSupportedException($"the ILGPU backend cannot hold weights as {format}"),
        };
    }

    /// <summary>
    /// A K-quant request as llama.cpp stores it, as the CPU backend holds it: the K-quant blocks, int8 for its Q5_0 and
    /// Q8_0 fallbacks (exact), and float32 (from float16) for rows that fit no block.
    /// </summary>
    private DeviceWeight KQuantWeight(string name, GgmlMixQuantized q) =>
        q.Q4K is { } q4k ? new IlgpuQ4KWeight(Accelerator, name, q4k)
        : q.Q6K is { } q6k ? new IlgpuQ6KWeight(Accelerator, name, q6k)
        : q.Q8 is { } q8 ? new IlgpuQ8Weight(Accelerator, name, q8)
        : new IlgpuF32Weight(Accelerator, q.F16!);

    /// <summary>Uploads a weight already in Q8 form (a pre-quantized file) without quantizing it again.</summary>
    public DeviceWeight PrepareQuantizedWeight(string name, Q8Weight weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        return new IlgpuQ8Weight(Accelerator, name, weight);
    }

    /// <summary>Uploads a Q4_0 weight's blocks as they are; the kernels dequantize them in registers.</summary>
    public DeviceWeight PrepareQuantizedWeight(string name, Q4Weight weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        return new IlgpuQ4Weight(Accelerator, name, weight);
    }

    /// <summary>Uploads a Q4_K weight's blocks as they are; the kernels dequantize them in registers.</summary>
    public DeviceWeight PrepareQuantizedWeight(string name, Q4KWeight weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        return new IlgpuQ4KWeight(Accelerator, name, weight);
    }

    /// <summary>Uploads a Q6_K weight's blocks as they are; the kernels dequantize them in registers.</summary>
    public DeviceWeight PrepareQuantizedWeight(string name, Q6KWeight weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        return new IlgpuQ6KWeight(Accelerator, name, weight);
    }

    /// <summary>Waits until every queued op has finished (for timing ops from the host).</summary>
    public void Synchronize() => Stream.Synchronize();

    /// <inheritdoc/>
    public KvPool CreateKvPool(KvPoolShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return new IlgpuKvPool(Accelerator, shape);
    }

    /// <inheritdoc/>
    public RopeTable CreateRope(ReadOnlySpan<float> inverseFrequencies, int maxPositions, RopeStyle style, float attentionFactor = 1f) =>
        new IlgpuRopeTable(Accelerator, inverseFrequencies, maxPositions, style, attentionFactor);

    /// <inheritdoc/>
    public void Embed(DeviceWeight table, ReadOnlySpan<int> tokens, DeviceTensor output)
    {
        Own(table);
        var rows = Gpu(output);
        if (rows.Rows != tokens.Length || rows.Columns != table.InFeatures)
            throw new ArgumentException($"embedding of {tokens.Length} tokens from '{table.Name}' [{table.OutFeatures}, {table.InFeatures}] into [{rows.Rows}, {rows.Columns}]");
        foreach (int token in tokens)
            if ((uint)token >= (uint)table.OutFeatures)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {token} outside the table '{table.Name}' of {table.OutFeatures} rows");
        if (tokens.IsEmpty) return;
        var tokenBuffer = IntBuffer(ref _tokens, tokens.Length);
        tokenBuffer.SubView(0, tokens.Length).CopyFromCPU(Stream, tokens);
        var extent = new Index2D(tokens.Length, rows.Columns);
        int columns = rows.Columns;
        switch (table)
        {
            case IlgpuQ8Weight q8: _kernels.Q8Embed(extent, q8.Values, q8.Scales, tokenBuffer, rows.View, columns); break;
            case IlgpuQ4Weight q4: _kernels.Q4Embed(extent, q4.Codes, q4.Scales, tokenBuffer, rows.View, columns); break;
            case IlgpuQ4KWeight q4k: _kernels.Q4KEmbed(extent, q4k.Codes, q4k.Scales, q4k.Mins, tokenBuffer, rows.View, columns); break;
            case IlgpuQ6KWeight q6k: _kernels.Q6KEmbed(extent, q6k.Blocks, q6k.Scales, tokenBuffer, rows.View, columns); break;
            default: _kernels.Embed(extent, ((IlgpuF32Weight)table).Values, tokenBuffer, rows.View, columns); break;
        }
    }

    /// <inheritdoc/>
    public void RmsNorm(DeviceTensor input, DeviceTensor weight, float eps, DeviceTensor output)
    {
        var x = Gpu(input);
        var w = Gpu(weight);
        var y = Gpu(output);
        if (w.View.Length != x.Columns || y.Rows != x.Rows || y.Columns != x.Columns)
            throw new ArgumentException($"rmsnorm shapes: x[{x.Rows}, {x.Columns}], weight of {w.View.Length}, y[{y.Rows}, {y.Columns}]");
        if (x.Rows == 0) return;
        _kernels.RmsNorm(new KernelConfig(x.Rows, Sizes.ReductionThreads), x.View, w.View, y.View, x.Columns, eps,
            SpecializedValue.New(Sizes.ReductionThreads));
    }

    /// <inheritdoc/>
    public void MatMul(DeviceTensor input, ReadOnlySpan<DeviceWeight> weights, ReadOnlySpan<DeviceTensor> outputs)
    {
        if (weights.Length != outputs.Length) throw new ArgumentException("one output per weight");
        var x = Gpu(input);
        // One launch per weight; they queue back to back on the stream, so the device never waits on the host between them.
        for (int j = 0; j < weights.Length; j++)
        {
            var w = weights[j];
            Own(w);
            var y = Gpu(outputs[j]);
            if (x.Columns != w.InFeatures || y.Columns != w.OutFeatures || y.Rows != x.Rows)
                throw new ArgumentException($"matmul shapes: x[{x.Rows}, {x.Columns}] · '{w.Name}'ᵀ[{w.InFeatures}, {w.OutFeatures}] → y[{y.Rows}, {y.Columns}]");
            if (x.Rows == 0 || w.OutFeatures == 0) continue;
            // One kernel for every row count: a row's sum runs in the same order alone or in a batch.
            var config = new KernelConfig(new Index2D(w.OutFeatures, Ceiling(x.Rows, MatMulKernels.RowsPerGroup)), new Index2D(Sizes.ReductionThreads, 1));
            var threads = SpecializedValue.New(Sizes.ReductionThreads);
            var (rows, k, n) = (x.Rows, w.InFeatures, w.OutFeatures);
            switch (w)
            {
                case IlgpuQ8Weight q8: _kernels.MatMulQ8(config, x.View, q8.Values, q8.Scales, y.View, rows, k, n, threads); break;
                case IlgpuQ4Weight q4: _kernels.MatMulQ4(config, x.View, q4.Codes, q4.Scales, y.View, rows, k, n, threads); break;
                case IlgpuQ4KWeight q4k: _kernels.MatMulQ4K(config, x.View, q4k.Codes, q4k.Scales, q4k.Mins, y.View, rows, k, n, threads); break;
                case IlgpuQ6KWeight q6k: _kernels.MatMulQ6K(config, x.View, q6k.Blocks, q6k.Scales, y.View, rows, k, n, threads); break;
                default: _kernels.MatMulF32(config, x.View, ((IlgpuF32Weight)w).Values, y.View, rows, k, n, threads); break;
            }
        }
    }

    /// <inheritdoc/>
    public void AddBias(DeviceTensor x, DeviceTensor bias)
    {
        var rows = Gpu(x);
        var b = Gpu(bias);
        if (b.View.Length != rows.Columns) throw new ArgumentException($"bias of {b.View.Length} values for rows of {rows.Columns}");
        if (rows.View.Length == 0) return;
        _kernels.AddBias((int)rows.View.Length, rows.View, b.View, rows.Columns);
    }

    /// <inheritdoc/>
    public void ApplyRope(DeviceTensor x, int headDim, StepLayout step, RopeTable rope)
    {
        var rows = Gpu(x);
        var table = rope as IlgpuRopeTable ?? throw new ArgumentException($"a {rope.GetType().Name} does not belong to the ILGPU backend");
        if (headDim <= 0 || headDim % 2 != 0 || rows.Columns % headDim != 0)
            throw new ArgumentException($"rows of {rows.Columns} features do not split into heads of {headDim} (an even size)");
        // Fewer pairs than headDim / 2 is partial rotary (the rest of each head passes through); more cannot fit a head.
        if (table.RotaryPairs > headDim / 2) throw new ArgumentException($"rope table has {table.RotaryPairs} pairs, heads of {headDim} hold at most {headDim / 2}");
        var layout = Layout(step, rows, "rope");
        if (layout.MaxPosition >= table.MaxPositions)
            throw new ArgumentOutOfRangeException(nameof(step), $"position {layout.MaxPosition} is beyond the rope table's {table.MaxPositions}");
        if (rows.View.Length == 0) return;
        var shape = new RopeShape(rows.Columns, headDim, table.RotaryPairs, table.Style == RopeStyle.InterleavedPairs ? 1 : 0);
        _kernels.Rope(new Index2D(rows.Rows, rows.Columns / headDim * table.RotaryPairs), rows.View, table.Cos, table.Sin, layout.Positions, shape);
    }

    /// <inheritdoc/>
    public void StoreKv(KvPool pool, int layer, StepLayout step, DeviceTensor k, DeviceTensor v)
    {
        var kv = Pool(pool);
        var keys = Gpu(k);
        var values = Gpu(v);
        var shape = kv.Shape;
        int columns = shape.KvHeads * shape.HeadDim;
        if (keys.Columns != columns || values.Columns != columns || values.Rows != keys.Rows)
            throw new ArgumentException($"k[{keys.Rows}, {keys.Columns}] and v[{values.Rows}, {values.Columns}] do not match a pool of {shape.KvHeads} heads × {shape.HeadDim}");
        var kvLayout = kv.Layout(layer);
        var layout = Layout(step, keys, "StoreKv");
        CheckBlockSize(step, shape);
        if (layout.MaxSlot >= shape.Positions)
            throw new ArgumentOutOfRangeException(nameof(step), $"slot {layout.MaxSlot} is outside a KV pool of {shape.Positions} slots ({shape.Blocks} blocks of {shape.BlockSize})");
        if (keys.Rows == 0) return;
        var extent = new Index2D(keys.Rows, columns);
        if (shape.Type == KvDType.F32)
            _kernels.StoreKvF32(extent, keys.View, values.View, kv.KeysF32, kv.ValuesF32, layout.Slots, kvLayout, columns);
        else
            _kernels.StoreKvF16(extent, keys.View, values.View, kv.KeysF16, kv.ValuesF16, layout.Slots, kvLayout, columns);
    }

    /// <inheritdoc/>
    public void Attention(DeviceTensor q, KvPool pool, int layer, StepLayout step, DeviceTensor output, AttentionOptions options = default)
    {
        var kv = Pool(pool);
        var queries = Gpu(q);
        var outputs = Gpu(output);
        var shape = kv.Shape;
        int d = shape.HeadDim;
        if (queries.Columns % d != 0 || outputs.Rows != queries.Rows || outputs.Columns != queries.Columns)
            throw new ArgumentException($"attention shapes: q[{queries.Rows}, {queries.Columns}], out[{outputs.Rows}, {outputs.Columns}], head size {d}");
        int heads = queries.Columns / d;
        if (heads % shape.KvHeads != 0) throw new ArgumentException($"{heads} query heads do not share {shape.KvHeads} KV heads evenly");
        var kvLayout = kv.Layout(layer);
        var layout = Layout(step, queries, "attention");
        CheckBlockSize(step, shape);
        var (minBlock, maxBlock) = layout.AttendedBlocks;
        if (queries.Rows == 0) return;
        if (minBlock < 0 || maxBlock >= shape.Blocks)
            throw new ArgumentOutOfRangeException(nameof(step), $"the step attends to blocks {minBlock}..{maxBlock}, outside a KV pool of {shape.Blocks} blocks");
        var attention = new AttentionShape(heads, queries.Columns, heads / shape.KvHeads, kvLayout, options.Scale, options.SoftCap, options.Window);
        var config = new KernelConfig(queries.Rows * heads, Sizes.ReductionThreads);
        var (headDim, threads) = (SpecializedValue.New(d), SpecializedValue.New(Sizes.ReductionThreads));
        if (shape.Type == KvDType.F32)
            _kernels.AttentionF32(config, queries.View, kv.KeysF32, kv.ValuesF32, layout.Positions, layout.AttendFrom, layout.TableStart, layout.BlockTables,
                outputs.View, attention, headDim, threads);
        else
            _kernels.AttentionF16(config, queries.View, kv.KeysF16, kv.ValuesF16, layout.Positions, layout.AttendFrom, layout.TableStart, layout.BlockTables,
                outputs.View, attention, headDim, threads);
    }

    /// <inheritdoc/>
    public void GatherRows(DeviceTensor source, StepLayout step, DeviceTensor destination)
    {
        var from = Gpu(source);
        var to = Gpu(destination);
        ArgumentNullException.ThrowIfNull(step);
        if (to.Rows != step.LogitRowCount || to.Columns != from.Columns)
            throw new ArgumentException($"gathering {step.LogitRowCount} rows of {from.Columns} into [{to.Rows}, {to.Columns}]");
        _step.Ensure(step);
        if (_step.MaxLogitRow >= from.Rows)
            throw new ArgumentOutOfRangeException(nameof(step), $"logit row {_step.MaxLogitRow} is outside a source of {from.Rows} rows");
        if (to.View.Length == 0) return;
        _kernels.GatherRows(new Index2D(to.Rows, to.Columns), from.View, _step.LogitRows, to.View, to.Columns);
    }

    /// <inheritdoc/>
    public void SwiGlu(DeviceTensor gate, DeviceTensor up, DeviceTensor output)
    {
        var g = Gpu(gate);
        var u = Gpu(up);
        var y = Gpu(output);
        if (u.View.Length != g.View.Length || y.View.Length != g.View.Length)
            throw new ArgumentException($"swiglu shapes: gate[{g.Rows}, {g.Columns}], up[{u.Rows}, {u.Columns}], out[{y.Rows}, {y.Columns}]");
        if (g.View.Length == 0) return;
        _kernels.SwiGlu((int)g.View.Length, g.View, u.View, y.View);
    }

    /// <inheritdoc/>
    public void GeGlu(DeviceTensor gate, DeviceTensor up, DeviceTensor output)
    {
        var g = Gpu(gate);
        var u = Gpu(up);
        var y = Gpu(output);
        if (u.View.Length != g.View.Length || y.View.Length != g.View.Length)
            throw new ArgumentException($"geglu shapes: gate[{g.Rows}, {g.Columns}], up[{u.Rows}, {u.Columns}], out[{y.Rows}, {y.Columns}]");
        if (g.View.Length == 0) return;
        _kernels.GeGlu((int)g.View.Length, g.View, u.View, y.View);
    }

    /// <inheritdoc/>
    public void LayerNorm(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, float eps, DeviceTensor output)
    {
        var x = Gpu(input);
        var w = Gpu(weight);
        var b = Gpu(bias);
        var y = Gpu(output);
        if (w.View.Length != x.Columns || b.View.Length != x.Columns || y.Rows != x.Rows || y.Columns != x.Columns)
            throw new ArgumentException($"layernorm shapes: x[{x.Rows}, {x.Columns}], weight {w.View.Length}, bias {b.View.Length}, out[{y.Rows}, {y.Columns}]");
        if (x.Rows == 0) return;
        _kernels.LayerNorm(new KernelConfig(x.Rows, Sizes.ReductionThreads), x.View, w.View, b.View, y.View, x.Columns, eps,
            SpecializedValue.New(Sizes.ReductionThreads));
    }

    /// <inheritdoc/>
    public void Gelu(DeviceTensor input, DeviceTensor output)
    {
        var x = Gpu(input);
        var y = Gpu(output);
        if (x.View.Length != y.View.Length) throw new ArgumentException($"gelu: {x.View.Length} inputs for {y.View.Length} outputs");
        if (x.View.Length == 0) return;
        _kernels.Gelu((int)x.View.Length, x.View, y.View);
    }

    /// <inheritdoc/>
    public void BidirectionalAttention(DeviceTensor q, DeviceTensor k, DeviceTensor v, int headDim, ReadOnlySpan<int> sequenceLengths, DeviceTensor output)
    {
        var (queries, keys, values, outputs) = (Gpu(q), Gpu(k), Gpu(v), Gpu(output));
        if (headDim <= 0 || queries.Columns % headDim != 0)
            throw new ArgumentException($"bidirectional attention: {queries.Columns} features do not split into heads of {headDim}");
        int rows = queries.Rows, columns = queries.Columns;
        if (keys.Rows != rows || values.Rows != rows || outputs.Rows != rows || keys.Columns != columns || values.Columns != columns || outputs.Columns != columns)
            throw new ArgumentException($"bidirectional attention shapes: q[{rows}, {columns}], k[{keys.Rows}, {keys.Columns}], v[{values.Rows}, {values.Columns}], out[{outputs.Rows}, {outputs.Columns}]");
        var spans = SequenceSpans.Of(sequenceLengths, rows);
        if (rows == 0) return;
        var device = IntBuffer(ref _sequenceSpans, spans.Length);
        device.SubView(0, spans.Length).CopyFromCPU(Stream, spans);
        int heads = columns / headDim;
        _kernels.BidirectionalAttention(new KernelConfig(rows * heads, Sizes.ReductionThreads), queries.View, keys.View, values.View, device, outputs.View,
            heads, columns, SpecializedValue.New(headDim), SpecializedValue.New(Sizes.ReductionThreads));
    }

    /// <inheritdoc/>
    public void Scale(DeviceTensor x, float factor)
    {
        var a = Gpu(x);
        if (a.View.Length == 0) return;
        _kernels.Scale((int)a.View.Length, a.View, factor);
    }

    /// <inheritdoc/>
    public void SoftCap(DeviceTensor x, float cap)
    {
        var a = Gpu(x);
        if (!(cap > 0)) throw new ArgumentOutOfRangeException(nameof(cap), $"a soft cap must be positive, got {cap}");
        if (a.View.Length == 0) return;
        _kernels.SoftCap((int)a.View.Length, a.View, cap);
    }

    /// <inheritdoc/>
    public void Add(DeviceTensor x, DeviceTensor y)
    {
        var a = Gpu(x);
        var b = Gpu(y);
        if (a.View.Length != b.View.Length) throw new ArgumentException($"add shapes: [{a.Rows}, {a.Columns}] += [{b.Rows}, {b.Columns}]");
        if (a.View.Length == 0) return;
        _kernels.Add((int)a.View.Length, a.View, b.View);
    }

    /// <inheritdoc/>
    public int Argmax(DeviceTensor row)
    {
        var values = Gpu(row);
        if (values.Rows != 1 || values.Columns == 0) throw new ArgumentException($"argmax needs one non-empty row, got [{values.Rows}, {values.Columns}]");
        _kernels.Argmax(new KernelConfig(1, Sizes.ReductionThreads), values.View, _argmaxResult.View, values.Columns,
            SpecializedValue.New(Sizes.ReductionThreads));
        Span<int> result = stackalloc int[1];
        _argmaxResult.View.CopyToCPU(Stream, result);
        Stream.Synchronize();
        return result[0];
    }

    /// <summary>Frees the backend's scratch buffers and, when <see cref="Open"/> created them, the accelerator and context.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _argmaxResult.Dispose();
        _tokens?.Dispose();
        _sequenceSpans?.Dispose();
        _step.Dispose();
        if (_ownsAccelerator) Accelerator.Dispose();
        _ownedContext?.Dispose();
    }

    /// <summary>A scratch buffer of at least <paramref name="length"/> ints, grown (and the old one freed) when too small.</summary>
    private ArrayView<int> IntBuffer(ref MemoryBuffer1D<int, Stride1D.Dense>? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer?.Dispose();
            buffer = Accelerator.Allocate1D<int>(Math.Max(length, 64));
        }
        return buffer.View;
    }

    private static int Ceiling(int value, int divisor) => (value + divisor - 1) / divisor;

    /// <summary>The device copy of a step, uploaded if stale, after checking the tensor has one row per step row.</summary>
    private IlgpuStepLayout Layout(StepLayout step, IlgpuTensor rows, string op)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (rows.Rows != step.Rows) throw new ArgumentException($"{op}: a tensor of {rows.Rows} rows for a step of {step.Rows}");
        _step.Ensure(step);
        return _step;
    }

    private static void CheckBlockSize(StepLayout step, KvPoolShape shape)
    {
        if (step.BlockSize != shape.BlockSize)
            throw new ArgumentException($"the step's blocks of {step.BlockSize} positions do not match the pool's {shape.BlockSize}");
    }

    private static IlgpuTensor Gpu(DeviceTensor tensor) =>
        tensor as IlgpuTensor ?? throw new ArgumentException($"a {tensor.GetType().Name} does not belong to the ILGPU backend");

    private static IlgpuKvPool Pool(KvPool pool) =>
        pool as IlgpuKvPool ?? throw new ArgumentException($"a {pool.GetType().Name} does not belong to the ILGPU backend");

    private static void Own(DeviceWeight weight)
    {
        if (weight is not (IlgpuF32Weight or IlgpuQ8Weight or IlgpuBlockWeight))
            throw new ArgumentException($"weight '{weight.Name}' ({weight.Format}, a {weight.GetType().Name}) does not belong to the ILGPU backend");
    }
}
