using Transformer.Kernels.Backend;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime.Llama;

namespace Transformer.Runtime.SmolLM3;

/// <summary>
/// SmolLM3 (Hugging Face, "SmolLM3: smol, multilingual, long-context reasoner", 2025): the Llama decoder with
/// NoPE layers (Kazemnejad et al., "The Impact of Positional Encoding on Length Generalization in
/// Transformers", 2023): every fourth layer by default (<c>no_rope_layers</c>) leaves queries and keys
/// unrotated, so it attends by content alone; the others apply RoPE as Llama does.
/// </summary>
public sealed class SmolLM3Model : DecoderModel
{
    private readonly RopeTable _rope;
    private readonly bool[] _usesRope;

    /// <summary>Prepares the weights on the backend. The model disposes the weight source and the backend when it owns them.</summary>
    public SmolLM3Model(ModelConfig config, IWeightSource weights, IBackend backend, ModelOptions? options = null,
        bool ownsWeights = false, bool ownsBackend = false)
        : base(config, weights, backend, options, ownsWeights, ownsBackend)
    {
        _usesRope = config.RopeByLayer?.ToArray() ?? Enumerable.Repeat(true, config.NumLayers).ToArray();
        Weights = LlamaWeights.Load(config, weights, backend, Options.WeightFormat);
        _rope = backend.CreateRope(RotaryFrequencies.Compute(config), config.MaxPositions, config.RopeStyle);
    }

    /// <summary>The weights, in the Llama layout and names.</summary>
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

            // Attention block: x += Wo · attention(rope?(Wq·h), rope?(Wk·h), Wv·h), with h = rmsnorm(x).
            b.RmsNorm(x, w.AttentionNorm, c.RmsNormEps, h);                 // h = x / rms(x) ⊙ g            (T, hidden)
            b.MatMul(h, [w.Query, w.Key, w.Value], [q, k, v]);              // q = h·Wqᵀ (T, heads·d); k, v = h·Wkᵀ, h·Wvᵀ (T, kvHeads·d)
            AddBias(q, w.QueryBias);
            AddBias(k, w.KeyBias);
            AddBias(v, w.ValueBias);
            if (_usesRope[l])
            {
                b.ApplyRope(q, c.HeadDim, step, _rope);                     // rotate each head by its row's position
                b.ApplyRope(k, c.HeadDim, step, _rope);
            }                                                               // a NoPE layer keeps q and k as projected
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
            AddBias(gate, w.GateBias);
            AddBias(up, w.UpBias);
            b.SwiGlu(gate, up, gate);                                       // gate = silu(gate) ⊙ up
            Observe(l, "ffn_act", first, gate);
            b.MatMul(gate, [w.Down], [o]);                                  // o = gate·Wdᵀ                  (T, hidden)
            AddBias(o, w.DownBias);
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
