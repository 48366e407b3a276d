using Transformer.Kernels.Quantized;
using Transformer.Kernels.Tensors;

namespace Transformer.Kernels.Backend;

/// <summary>
/// The operations a transformer forward pass needs, executed by one device. A model is written
/// once against this interface; the CPU and GPU backends run it, which keeps a CPU-vs-GPU
/// comparison apples to apples. All activations are row-major float32 [tokens, features].
/// </summary>
public interface IBackend : IDisposable
{
    /// <summary>What runs the ops, e.g. <c>cpu avx512-vnni, 2 threads</c>.</summary>
    string Description { get; }

    /// <summary>Allocates an uninitialised activation matrix.</summary>
    DeviceTensor Allocate(int rows, int columns);

    /// <summary>Copies host values into a new tensor (norm weights, biases).</summary>
    DeviceTensor Upload(ReadOnlySpan<float> values, int rows, int columns);

    /// <summary>Copies a tensor's values to the host.</summary>
    void Download(DeviceTensor source, Span<float> destination);

    /// <summary>Prepares a weight matrix [out, in] in the requested format.</summary>
    DeviceWeight PrepareWeight(HostTensor matrix, WeightFormat format);

    /// <summary>
    /// Prepares a weight that is already in Q8 form (a pre-quantized model file), keeping its values as
    /// they are, without quantizing again. The default suits a backend without int8 kernels: it
    /// dequantizes to float32 and prepares that.
    /// </summary>
    DeviceWeight PrepareQuantizedWeight(string name, Q8Weight weight)
    {
        var values = new float[(long)weight.OutFeatures * weight.InFeatures];
        weight.Dequantize(values);
        return PrepareWeight(HostTensor.FromFloats(name, values, weight.OutFeatures, weight.InFeatures), WeightFormat.F32);
    }

    /// <summary>
    /// Prepares a weight that is already in 4-bit form (a Q4_0 file), keeping its values as they are. The default
    /// suits a backend without 4-bit kernels: every value q − 8 fits int8 with its block's scale, so it holds the
    /// exact same numbers as a Q8 weight (int8 size, int8 speed).
    /// </summary>
    DeviceWeight PrepareQuantizedWeight(string name, Q4Weight weight) => PrepareQuantizedWeight(name, weight.ToQ8());

    /// <summary>
    /// Prepares a Q4_K weight as stored (a Q4_K_M file). The default suits a backend without K-quant kernels: its values
    /// ((d·s)·q − dmin·m, an affine code no int8 block holds exactly) are dequantized to float32 and prepared as that.
    /// </summary>
    DeviceWeight PrepareQuantizedWeight(string name, Q4KWeight weight) =>
        PrepareWeight(HostTensor.FromFloats(name, weight.Dequantize(), weight.OutFeatures, weight.InFeatures), WeightFormat.F32);

    /// <summary>Prepares a Q6_K weight as stored. The default dequantizes to float32, as for <see cref="Q4KWeight"/>.</summary>
    DeviceWeight PrepareQuantizedWeight(string name, Q6KWeight weight) =>
        PrepareWeight(HostTensor.FromFloats(name, weight.Dequantize(), weight.OutFeatures, weight.InFeatures), WeightFormat.F32);

    /// <summary>
    /// Waits until every op issued so far has finished, so a host timer around ops measures them.
    /// A synchronous backend (the CPU one) has nothing to wait for, hence the no-op default.
    /// </summary>
    void Synchronize() { }

    /// <summary>Allocates a paged KV pool of the given shape.</summary>
    KvPool CreateKvPool(KvPoolShape shape);

    /// <summary>
    /// Builds the cos/sin table from the model's inverse frequencies (one per rotated pair; fewer than
    /// headDim / 2 rotate only the first features of each head), scaled by <paramref name="attentionFactor"/>.
    /// </summary>
    RopeTable CreateRope(ReadOnlySpan<float> inverseFrequencies, int maxPositions, RopeStyle style, float attentionFactor = 1f);

    /// <summary>output[t, :] = table[tokens[t], :]. Token ids must already be validated.</summary>
    void Embed(DeviceWeight table, ReadOnlySpan<int> tokens, DeviceTensor output);

    /// <summary>output[t, :] = input[t, :] / sqrt(mean(input[t, :]²) + eps) ⊙ weight.</summary>
    void RmsNorm(DeviceTensor input, DeviceTensor weight, float eps, DeviceTensor output);

    /// <summary>
    /// outputs[j] = input · weights[j]ᵀ for every j, in one pass: the input is read (and, for a
    /// quantized weight, quantized) once, and all weights share one parallel dispatch.
    /// </summary>
    void MatMul(DeviceTensor input, ReadOnlySpan<DeviceWeight> weights, ReadOnlySpan<DeviceTensor> outputs);

    /// <summary>x[t, :] += bias[0, :].</summary>
    void AddBias(DeviceTensor x, DeviceTensor bias);

    /// <summary>Rotates each head of x in place; row r is at position <c>step.Positions[r]</c>.</summary>
    void ApplyRope(DeviceTensor x, int headDim, StepLayout step, RopeTable rope);

    /// <summary>Writes k, v rows [rows, kvHeads·headDim] of a layer to the pool slots <c>step.Slots</c>.</summary>
    void StoreKv(KvPool pool, int layer, StepLayout step, DeviceTensor k, DeviceTensor v);

    /// <summary>
    /// Causal grouped-query attention: row r of q attends to positions [<c>step.AttendFrom[r]</c>,
    /// <c>step.Positions[r]</c>] of its own sequence, found through its block table. q and output are
    /// [rows, heads·headDim]; scale 1/sqrt(headDim) unless <paramref name="options"/> says otherwise (its scale,
    /// a soft cap on scores, a window narrowing the span). A row's result depends only on its own query and
    /// sequence, never on the other rows of the step.
    /// </summary>
    void Attention(DeviceTensor q, KvPool pool, int layer, StepLayout step, DeviceTensor output, AttentionOptions options = default);

    /// <summary>destination[i, :] = source[<c>step.LogitRows[i]</c>, :]: the rows whose logits are wanted.</summary>
    void GatherRows(DeviceTensor source, StepLayout step, DeviceTensor destination);

    /// <summary>output = silu(gate) ⊙ up.</summary>
    void SwiGlu(DeviceTensor gate, DeviceTensor up, DeviceTensor output);

    /// <summary>output = gelu_tanh(gate) ⊙ up, gelu_tanh(g) = ½·g·(1 + tanh(√(2/π)·(g + 0.044715·g³))) (GeGLU, Gemma).</summary>
    void GeGlu(DeviceTensor gate, DeviceTensor up, DeviceTensor output);

    /// <summary>
    /// output[t, :] = (input[t, :] − mean) / sqrt(var + eps) ⊙ weight + bias: layer normalization with a bias and the
    /// population variance (BERT). <paramref name="output"/> may be <paramref name="input"/>.
    /// </summary>
    void LayerNorm(DeviceTensor input, DeviceTensor weight, DeviceTensor bias, float eps, DeviceTensor output);

    /// <summary>output = x·Φ(x) = ½·x·(1 + erf(x/√2)): the exact GELU (BERT), not the tanh approximation.</summary>
    void Gelu(DeviceTensor input, DeviceTensor output);

    /// <summary>
    /// Encoder self-attention without a causal mask: q, k, v and output are [rows, heads·headDim] holding
    /// the sequences of <paramref name="sequenceLengths"/> one after another, and each row attends to every row of its own
    /// sequence (what an attention mask over padded sequences computes), scaled by 1/√headDim.
    /// </summary>
    void BidirectionalAttention(DeviceTensor q, DeviceTensor k, DeviceTensor v, int headDim, ReadOnlySpan<int> sequenceLengths, DeviceTensor output);

    /// <summary>x *= factor.</summary>
    void Scale(DeviceTensor x, float factor);

    /// <summary>x = cap·tanh(x / cap): soft-capping (Gemma 2's final logits).</summary>
    void SoftCap(DeviceTensor x, float cap);

    /// <summary>x += y.</summary>
    void Add(DeviceTensor x, DeviceTensor y);

    /// <summary>Index of the largest value of a one-row tensor (lowest index on ties).</summary>
    int Argmax(DeviceTensor row);
}
