using Transformer.Kernels.Backend;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime.Llama;

namespace Transformer.Runtime.Phi3;

/// <summary>
/// Phi-3 (Microsoft, "Phi-3 Technical Report", 2024): the Llama decoder stored with fused projections
/// (<c>qkv_proj</c>, <c>gate_up_proj</c>, split at load by <see cref="Phi3FusedWeights"/>), RoPE on only the
/// first head_dim × <c>partial_rotary_factor</c> features of each head, and LongRoPE (Ding et al., 2024) for
/// long contexts: per-pair frequency factors and an attention factor on cos/sin. Optional sliding-window
/// attention over every layer.
/// </summary>
public sealed class Phi3Model : DecoderModel
{
    private readonly RopeTable _rope;

    /// <summary>Prepares the weights on the backend. The model disposes the weight source and the backend when it owns them.</summary>
    public Phi3Model(ModelConfig config, IWeightSource weights, IBackend backend, ModelOptions? options = null,
        bool ownsWeights = false, bool ownsBackend = false)
        : base(config, weights, backend, options, ownsWeights, ownsBackend)
    {
        Weights = LlamaWeights.Load(config, new Phi3FusedWeights(weights, config), backend, Options.WeightFormat);
        // Fewer inverse frequencies than headDim / 2 is what makes the backend rotate only the first features.
        _rope = backend.CreateRope(RotaryFrequencies.Compute(config), config.MaxPositions, config.RopeStyle, RotaryFrequencies.AttentionFactor(config));
    }

    /// <summary>The weights, split into the Llama layout.</summary>
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
        var (gate, up) = (views.Gate, views.Up);
        int first = step.Positions[0];

        b.Embed(Weights.Embedding, tokens, x);                              // x = E[tokens]                 (T, hidden)
        Observe("token_embd", first, x);
        for (int l = 0; l < c.NumLayers; l++)
        {
            var w = Weights.Layers[l];

            // Attention block: x += Wo · attention(rope(q), rope(k), v), [q | k | v] = W_qkv·h, h = rmsnorm(x).
            b.RmsNorm(x, w.AttentionNorm, c.RmsNormEps, h);                 // h = x / rms(x) ⊙ g            (T, hidden)
            b.MatMul(h, [w.Query, w.Key, w.Value], [q, k, v]);              // the row blocks of W_qkv, in one pass over h
            b.ApplyRope(q, c.HeadDim, step, _rope);                         // rotate the first rotaryDim features of each head,
            b.ApplyRope(k, c.HeadDim, step, _rope);                         // cos/sin scaled by LongRoPE's attention factor
            Observe(l, "attn_q", first, q);
            Observe(l, "attn_k", first, k);
            Observe(l, "attn_v", first, v);
            b.StoreKv(pool, l, step, k, v);                                 // pool[l][slot of each row] = k, v
            b.Attention(q, pool, l, step, att);                             // att = softmax(q·Kᵀ/√d, causal, window, own sequence)·V
            Observe(l, "attn_out", first, att);
            b.MatMul(att, [w.Output], [o]);                                 // o = att·Woᵀ                   (T, hidden)
            b.Add(x, o);                                                    // x += o

            // MLP block: x += W_down · (silu(gate) ⊙ up), [gate | up] = W_gate_up·h, h = rmsnorm(x).
            b.RmsNorm(x, w.MlpNorm, c.RmsNormEps, h);                       // h = x / rms(x) ⊙ g            (T, hidden)
            b.MatMul(h, [w.Gate, w.Up], [gate, up]);                        // the two row halves of W_gate_up (T, ffn) each
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
        Weights.Dispose();
    }
}
