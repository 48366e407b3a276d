using System.Diagnostics;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Tensors;

namespace Transformer.Runtime.Diagnostics;

/// <summary>
/// An <see cref="IBackend"/> decorator that times every op of a forward pass into an <see cref="OpProfile"/>.
/// Each timed op ends with <see cref="IBackend.Synchronize"/>: free on the synchronous CPU backend, and
/// what makes the figures real on an asynchronous (GPU) one, at the cost of its overlap between ops.
/// Set-up calls (allocation, weight preparation, caches) pass through untimed.
/// </summary>
public sealed class ProfilingBackend : IBackend
{
    private readonly IBackend _inner;
    private readonly bool _ownsInner;

    /// <summary>Wraps <paramref name="inner"/>; disposes it on dispose when <paramref name="ownsInner"/> is set.</summary>
    public ProfilingBackend(IBackend inner, bool ownsInner = false)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _ownsInner = ownsInner;
    }

    /// <summary>What has been recorded so far.</summary>
    public OpProfile Profile { get; } = new();

    /// <summary>The wrapped backend.</summary>
    public IBackend Inner => _inner;

    /// <inheritdoc/>
    public string Description => _inner.Description + " (profiled)";

    /// <inheritdoc/>
    public DeviceTensor Allocate(int rows, int columns) => _inner.Allocate(rows, columns);

    /// <inheritdoc/>
    public DeviceTensor Upload(ReadOnlySpan<float> values, int rows, int columns)
    {
        long start = Stopwatch.GetTimestamp();
        var tensor = _inner.Upload(values, rows, columns);
        Stop(OpCategory.Transfer, start);
        return tensor;
    }

    /// <inheritdoc/>
    public void Download(DeviceTensor source, Span<float> destination)
    {
        long start = Stopwatch.GetTimestamp();
        _inner.Download(source, destination);
        Stop(OpCategory.Transfer, start);
    }

    /// <inheritdoc/>
    public DeviceWeight PrepareWeight(HostTensor matrix, WeightFormat format) => _inner.PrepareWeight(matrix, format);

    /// <inheritdoc/>
    public DeviceWeight PrepareQuantizedWeight(string name, Q8Weight weight) => _inner.PrepareQuantizedWeight(name, weight);

    /// <inheritdoc/>
    public DeviceWeight PrepareQuantizedWeight(string name, Q4Weight weight) => _inner.PrepareQuantizedWeight(name, weight);

    /// <inheritdoc/>
    public DeviceWeight PrepareQuantizedWeight(string name, Q4KWeight weight) => _inner.PrepareQuantizedWeight(name, weight);

    /// <inheritdoc/>
    public DeviceWeight PrepareQuantizedWeight(string name, Q6KWeight weight) => _inner.PrepareQuantizedWeight(name, weight);

    /// <inheritdoc/>
    public void Synchronize() => _inner.Synchronize();

    /// <inheritdoc/>
    public KvPool CreateKvPool(KvPoolShape shape) => _inner.CreateKvPool(shape);

    /// <inheritdoc/>
    public RopeTable CreateRope(ReadOnlySpan<float> inverseFrequencies, int maxPositions, RopeStyle style, float attentionFactor = 1f) =>
        _inner.CreateRope(inverseFrequencies, maxPositions, style, attentionFactor);

    /// <inheritdoc/>
    public void Embed(DeviceWeight table, ReadOnlySpan<int> tokens, DeviceTensor output)
    {
        long start = Stopwatch.GetTimestamp();
        _inner.Embed(table, tokens, output);
        Stop(OpCategory.Embedding, start);
    }

    /// <inheritdoc/>
    public void RmsNorm(DeviceTensor input, DeviceTensor weight, float eps, DeviceTensor output)
    {
        long start = Stopwatch.GetTimestamp();
        _inner.RmsNorm(input, weight, eps, output);
        Stop(OpCategory.Norms, start);
    }

    /// <inheritdoc/>
    public void MatMul(DeviceTensor input, ReadOnlySpan<DeviceWeight> weights, ReadOnlySpan<DeviceTensor> outputs)
    {
        long start = Stopwatch.GetTimestamp();
        _inner.MatMul(input, weights, outputs);
        Stop(weights.Length == 1 && IsClassifier(weights[0]) ? OpCategory.LmHead : OpCategory.MatMul, start);
    }

    /// <inheritdoc/>
    public void AddBias(DeviceTensor x, DeviceTensor bias)
    {
        long start = Stopwatch.GetTimestamp();
        _inner.AddBias(x, bias);
        Stop(OpCategory.Elementwise, start);
    }

    /// <inheritdoc/>
    public void ApplyRope(DeviceTensor x, int headDim, StepLayout step, RopeTable rope)
    {
        long start = Stopwatch.GetTimestamp();
        _inner.ApplyRope(x, headDim, step, rope);
        Stop(OpCategory.Rope, start);
    }

    /// <inheritdoc/>
    public void StoreKv(KvPool pool, int layer, StepLayout step, DeviceTensor k, DeviceTensor v)
    {
        long start = Stopwatch.GetTimestamp();
        _inner.StoreKv(pool, layer, step, k, v);
        Stop(OpCategory.Attention, start);
    }

    /// <inheritdoc/>
    public void Attention(DeviceTensor q, KvPool pool, int layer, StepLayout step, DeviceTensor output, AttentionOptions options = default)
    {
        long start = Stopwatch.GetTimestamp();
        _inner.Attention(q, pool, layer, step, output, options);
        Stop(OpCategory.Attention, start);
    }

    /// <inheritdoc/>
    public void GatherRows(DeviceTensor source, StepLayout step, DeviceTensor destination)
    {
        long start = Stopwatch.GetTimestamp();
        _inner.GatherRows(source, step, destination);
        Stop(OpCategory.Elementwise, start);
    }

    /// <inheritdoc/>
    public void SwiGlu(DeviceTensor gate, DeviceTensor up, DeviceTensor output)
    {
        long start = Stopwatch.GetTimestamp();
        _inner.SwiGlu(gate, up, output);
        Stop(OpCategory.Activation, start);
    }

    /// <inheritdoc/>
    public void GeGlu(DeviceTensor gate, DeviceTensor up, DeviceTensor output)
    {
        long start = Stopwatch.GetTimestamp();
        _inner.GeGlu(gate, up, output);
        Stop(OpCategory.Activation, start);
    }

    /// <inheritdoc/>
    public void LayerNorm(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, float eps, DeviceTensor output)
    {
        long start = Stopwatch.GetTimestamp();
        _inner.LayerNorm(input, weight, bias, eps, output);
        Stop(OpCategory.Norms, start);
    }

    /// <inheritdoc/>
    public void Gelu(DeviceTensor input, DeviceTensor output)
    {
        long start = Stopwatch.GetTimestamp();
        _inner.Gelu(input, output);
        Stop(OpCategory.Activation, start);
    }

    /// <inheritdoc/>
    public void BidirectionalAttention(DeviceTensor q, DeviceTensor k, DeviceTensor v, int headDim, ReadOnlySpan<int> sequenceLengths, DeviceTensor output)
    {
        long start = Stopwatch.GetTimestamp();
        _inner.BidirectionalAttention(q, k, v, headDim, sequenceLengths, output);
        Stop(OpCategory.Attention, start);
    }

    /// <inheritdoc/>
    public void Scale(DeviceTensor x, float factor)
    {
        long start = Stopwatch.GetTimestamp();
        _inner.Scale(x, factor);
        Stop(OpCategory.Elementwise, start);
    }

    /// <inheritdoc/>
    public void SoftCap(DeviceTensor x, float cap)
    {
        long start = Stopwatch.GetTimestamp();
        _inner.SoftCap(x, cap);
        Stop(OpCategory.Elementwise, start);
    }

    /// <inheritdoc/>
    public void Add(DeviceTensor x, DeviceTensor y)
    {
        long start = Stopwatch.GetTimestamp();
        _inner.Add(x, y);
        Stop(OpCategory.Elementwise, start);
    }

    /// <inheritdoc/>
    public int Argmax(DeviceTensor row)
    {
        long start = Stopwatch.GetTimestamp();
        int index = _inner.Argmax(row);
        Stop(OpCategory.Sampling, start);
        return index;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsInner) _inner.Dispose();
    }

    // The classifier is the one matmul whose weight is the lm_head (or the tied embedding table).
    private static bool IsClassifier(DeviceWeight weight) =>
        weight.Name is "lm_head.weight" or "model.embed_tokens.weight";

    private void Stop(OpCategory category, long start)
    {
        _inner.Synchronize();
        Profile.Record(category, Stopwatch.GetTimestamp() - start);
    }
}
