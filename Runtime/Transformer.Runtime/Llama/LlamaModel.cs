using Transformer.Kernels.Backend;
using Transformer.Loader;
using Transformer.Loader.Config;

namespace Transformer.Runtime.Llama;

/// <summary>
/// A Llama-family decoder (Llama 2/3, Mistral, Qwen2, SmolLM, TinyLlama) written once against the
/// backend interface. The forward pass below reads in the order of the paper.
/// </summary>
public sealed class LlamaModel : DecoderModel
{
    private readonly RopeTable _rope;

    /// <summary>Prepares the weights on the backend. The model disposes the weight source and the backend when it owns them.</summary>
    public LlamaModel(ModelConfig config, IWeightSource weights, IBackend backend, ModelOptions? options = null,
        bool ownsWeights = false, bool ownsBackend = false)
        : base(config, weights, backend, options, ownsWeights, ownsBackend)
    {
        Weights = LlamaWeights.Load(config, weights, backend, Options.WeightFormat);
        _rope = backend.CreateRope(RotaryFrequencies.Compute(config), config.MaxPositions, config.RopeStyle);
    }

    /// <summary>The prepared weights.</summary>
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

            // Attention block: x += Wo · attention(rope(Wq·h), rope(Wk·h), Wv·h), with h = rmsnorm(x).
            b.RmsNorm(x, w.AttentionNorm, c.RmsNormEps, h);                 // h = x / rms(x) ⊙ g            (T, hidden)
            Observe(l, "attn_norm", first, h);
            b.MatMul(h, [w.Query, w.Key, w.Value], [q, k, v]);              // q = h·Wqᵀ (T, heads·d); k, v = h·Wkᵀ, h·Wvᵀ (T, kvHeads·d)
            AddBias(q, w.QueryBias);
            AddBias(k, w.KeyBias);
            AddBias(v, w.ValueBias);
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
            Observe(l, "ffn_norm", first, h);
            b.MatMul(h, [w.Gate, w.Up], [gate, up]);                        // gate, up = h·Wgᵀ, h·Wuᵀ        (T, ffn)
            AddBias(gate, w.GateBias);
            AddBias(up, w.UpBias);
            b.SwiGlu(gate, up, gate);                                       // gate = silu(gate) ⊙ up
            Observe(l, "ffn_act", first, gate);
            b.MatMul(gate, [w.Down], [o]);                                  // o = gate·Wdᵀ                  (T, hidden)
            AddBias(o, w.DownBias);
            b.Add(x, o);                                                    // x += o
            Observe(l, "out", first, x);
        }

        // Only the rows whose next token is wanted go through the final norm and the classifier
        // (none when the step only carries middle chunks of prompts).
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
