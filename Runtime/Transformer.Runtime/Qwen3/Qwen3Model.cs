using Transformer.Kernels.Backend;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime.Llama;

namespace Transformer.Runtime.Qwen3;

/// <summary>
/// Qwen3 (Qwen Team, "Qwen3 Technical Report", 2025): the Llama decoder (pre-norm RMSNorm, grouped-query
/// attention with rotate-half RoPE, SwiGLU MLP) with one change in attention: every query and key head is
/// RMS-normalized on its own (<c>q_norm</c>, <c>k_norm</c>, one weight vector of head_dim shared by all
/// heads) before RoPE, which keeps attention logits bounded without biases. head_dim is its own setting,
/// not hidden / heads.
/// </summary>
public sealed class Qwen3Model : DecoderModel
{
    private readonly RopeTable _rope;
    private readonly DeviceTensor[] _queryNorms;
    private readonly DeviceTensor[] _keyNorms;

    /// <summary>Prepares the weights on the backend. The model disposes the weight source and the backend when it owns them.</summary>
    public Qwen3Model(ModelConfig config, IWeightSource weights, IBackend backend, ModelOptions? options = null,
        bool ownsWeights = false, bool ownsBackend = false)
        : base(config, weights, backend, options, ownsWeights, ownsBackend)
    {
        // Everything but the per-head norms has the Llama layout and names.
        Weights = LlamaWeights.Load(config, weights, backend, Options.WeightFormat);
        DeviceTensor HeadNorm(int layer, string name) =>
            backend.Upload(weights.Get($"model.layers.{layer}.self_attn.{name}.weight", config.HeadDim).ToFloat32(), 1, config.HeadDim);
        _queryNorms = new DeviceTensor[config.NumLayers];
        _keyNorms = new DeviceTensor[config.NumLayers];
        for (int l = 0; l < config.NumLayers; l++)
        {
            _queryNorms[l] = HeadNorm(l, "q_norm");
            _keyNorms[l] = HeadNorm(l, "k_norm");
        }
        _rope = backend.CreateRope(RotaryFrequencies.Compute(config), config.MaxPositions, config.RopeStyle);
    }

    /// <summary>The weights shared with the Llama layout (projections, MLP, norms, embedding, classifier).</summary>
    public LlamaWeights Weights { get; }

    /// <inheritdoc/>
    public override long DecodeBytesPerToken => Weights.DecodeBytesPerToken;

    /// <inheritdoc/>
    public override DeviceTensor Forward(StepBuffers buffers, KvPool pool, StepLayout step, ReadOnlySpan<int> tokens)
    {
        CheckStep(pool, step, tokens);
        var b = Backend;
        var c = Config;
        var views = buffers.Activations.Views(step.Rows, step.LogitRowCount);
        var (x, h, o) = (views.Residual, views.Normed, views.Projected);
        var (q, k, v, att) = (views.Query, views.Key, views.Value, views.Attended);
        var (qHeads, kHeads) = (views.QueryHeads, views.KeyHeads);
        var (gate, up) = (views.Gate, views.Up);
        int first = step.Positions[0];

        b.Embed(Weights.Embedding, tokens, x);                              // x = E[tokens]                 (T, hidden)
        Observe("token_embd", first, x);
        for (int l = 0; l < c.NumLayers; l++)
        {
            var w = Weights.Layers[l];

            // Attention block: x += Wo · attention(rope(norm_q(Wq·h)), rope(norm_k(Wk·h)), Wv·h), with h = rmsnorm(x).
            b.RmsNorm(x, w.AttentionNorm, c.RmsNormEps, h);                 // h = x / rms(x) ⊙ g            (T, hidden)
            b.MatMul(h, [w.Query, w.Key, w.Value], [q, k, v]);              // q = h·Wqᵀ (T, heads·d); k, v = h·Wkᵀ, h·Wvᵀ (T, kvHeads·d)
            AddBias(q, w.QueryBias);
            AddBias(k, w.KeyBias);
            AddBias(v, w.ValueBias);
            b.RmsNorm(qHeads, _queryNorms[l], c.RmsNormEps, qHeads);        // each query head: q / rms(q) ⊙ g_q   (T·heads, d)
            b.RmsNorm(kHeads, _keyNorms[l], c.RmsNormEps, kHeads);          // each key head:   k / rms(k) ⊙ g_k   (T·kvHeads, d)
            b.ApplyRope(q, c.HeadDim, step, _rope);                         // rotate each head by its row's position
            b.ApplyRope(k, c.HeadDim, step, _rope);
            Observe(l, "attn_q", first, q);
            Observe(l, "attn_k", first, k);
            Observe(l, "attn_v", first, v);
            b.StoreKv(pool, l, step, k, v);                                 // pool[l][slot of each row] = k, v
            b.Attention(q, pool, l, step, att, LayerAttention(l));          // att = softmax(q·Kᵀ/√d, causal, own sequence, window on sliding layers)·V
            Observe(l, "attn_out", first, att);
            b.MatMul(att, [w.Output], [o]);                                 // o = att·Woᵀ                   (T, hidden)
            AddBias(o, w.OutputBias);
            b.Add(x, o);                                                    // x += o

            // MLP block: x += W_down · (silu(W_gate·h) ⊙ W_up·h), with h = rmsnorm(x).
            b.RmsNorm(x, w.MlpNorm, c.RmsNormEps, h);                       // h = x / rms(x) ⊙ g            (T, hidden)
            b.MatMul(h, [w.Gate, w.Up], [gate, up]);                        // gate, up = h·Wgᵀ, h·Wuᵀ        (T, ffn)
            b.SwiGlu(gate, up, gate);                                       // gate = silu(gate) ⊙ up
            Observe(l, "ffn_act", first, gate);
            b.MatMul(gate, [w.Down], [o]);                                  // o = gate·Wdᵀ                  (T, hidden)
            b.Add(x, o);                                                    // x += o
            Observe(l, "out", first, x);
        }

        // Only the rows whose next token is wanted go through the final norm and the classifier.
        var (last, normed, logits) = (views.Gathered, views.GatheredNormed, views.Logits);
        if (step.LogitRowCount == 0) return logits;
        b.GatherRows(x, step, last);                                        // the logit rows of x           (rows, hidden)
        b.RmsNorm(last, Weights.FinalNorm, c.RmsNormEps, normed);          // h = rmsnorm(x)
        b.MatMul(normed, [Weights.LmHead], [logits]);                       // logits = h·Wclsᵀ              (rows, vocab)
        Observe("result_output", step.Positions[step.LogitRows[0]], logits);
        return logits;
    }

    /// <inheritdoc/>
    protected override void DisposeWeights()
    {
        _rope.Dispose();
        foreach (var norm in _queryNorms.Concat(_keyNorms)) norm?.Dispose();
        Weights.Dispose();
    }
}
