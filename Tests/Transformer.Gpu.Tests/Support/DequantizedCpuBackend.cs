using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Tensors;

namespace Transformer.Gpu.Tests.Support;

/// <summary>
/// The CPU scalar backend with every pre-quantized weight widened to float32 by the scalar references (the interface's
/// default PrepareQuantizedWeight: Q4_0 through Q8, K-quants directly): the same weight values a GPU kernel dequantizes
/// in registers, multiplied by float32 activations, so a quantized model on the GPU can be held to float32 rounding.
/// </summary>
public sealed class DequantizedCpuBackend : IBackend
{
    private readonly CpuBackend _cpu = new(new CpuBackendOptions { Threads = 1, Isa = CpuIsa.Scalar });

    public string Description => _cpu.Description + " (weights dequantized to float32)";
    public DeviceTensor Allocate(int rows, int columns) => _cpu.Allocate(rows, columns);
    public DeviceTensor Upload(ReadOnlySpan<float> values, int rows, int columns) => _cpu.Upload(values, rows, columns);
    public void Download(DeviceTensor source, Span<float> destination) => _cpu.Download(source, destination);
    public DeviceWeight PrepareWeight(HostTensor matrix, WeightFormat format) => _cpu.PrepareWeight(matrix, format);
    public KvPool CreateKvPool(KvPoolShape shape) => _cpu.CreateKvPool(shape);
    public RopeTable CreateRope(ReadOnlySpan<float> inverseFrequencies, int maxPositions, RopeStyle style, float attentionFactor = 1f) =>
        _cpu.CreateRope(inverseFrequencies, maxPositions, style, attentionFactor);
    public void Embed(DeviceWeight table, ReadOnlySpan<int> tokens, DeviceTensor output) => _cpu.Embed(table, tokens, output);
    public void RmsNorm(DeviceTensor input, DeviceTensor weight, float eps, DeviceTensor output) => _cpu.RmsNorm(input, weight, eps, output);
    public void MatMul(DeviceTensor input, ReadOnlySpan<DeviceWeight> weights, ReadOnlySpan<DeviceTensor> outputs) => _cpu.MatMul(input, weights, outputs);
    public void AddBias(DeviceTensor x, DeviceTensor bias) => _cpu.AddBias(x, bias);
    public void ApplyRope(DeviceTensor x, int headDim, StepLayout step, RopeTable rope) => _cpu.ApplyRope(x, headDim, step, rope);
    public void StoreKv(KvPool pool, int layer, StepLayout step, DeviceTensor k, DeviceTensor v) => _cpu.StoreKv(pool, layer, step, k, v);
    public void Attention(DeviceTensor q, KvPool pool, int layer, StepLayout step, DeviceTensor output, AttentionOptions options = default) =>
        _cpu.Attention(q, pool, layer, step, output, options);
    public void GatherRows(DeviceTensor source, StepLayout step, DeviceTensor destination) => _cpu.GatherRows(source, step, destination);
    public void SwiGlu(DeviceTensor gate, DeviceTensor up, DeviceTensor output) => _cpu.SwiGlu(gate, up, output);
    public void GeGlu(DeviceTensor gate, DeviceTensor up, DeviceTensor output) => _cpu.GeGlu(gate, up, output);
    public void LayerNorm(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, float eps, DeviceTensor output) => _cpu.LayerNorm(input, weight, bias, eps, output);
    public void Gelu(DeviceTensor input, DeviceTensor output) => _cpu.Gelu(input, output);
    public void BidirectionalAttention(DeviceTensor q, DeviceTensor k, DeviceTensor v, int headDim, ReadOnlySpan<int> sequenceLengths, DeviceTensor output) =>
        _cpu.BidirectionalAttention(q, k, v, headDim, sequenceLengths, output);
    public void Scale(DeviceTensor x, float factor) => _cpu.Scale(x, factor);
    public void SoftCap(DeviceTensor x, float cap) => _cpu.SoftCap(x, cap);
    public void Add(DeviceTensor x, DeviceTensor y) => _cpu.Add(x, y);
    public int Argmax(DeviceTensor row) => _cpu.Argmax(row);
    public void Dispose() => _cpu.Dispose();
}
