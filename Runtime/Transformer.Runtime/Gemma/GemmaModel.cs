using Transformer.Kernels.Backend;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime.Llama;

namespace Transformer.Runtime.Gemma;

/// <summary>
/// Gemma 2 and Gemma 3 (Gemma Team, Google DeepMind, 2024 and 2025), the text decoder. Against Llama:
/// embeddings scaled by √hidden; RMSNorm as x̂·(1 + w) and four of them per layer (before and after attention,
/// before and after the MLP, the "after" ones applied to the block's output before the residual add); a GeGLU
/// MLP with tanh-GELU; attention scaled by 1/√query_pre_attn_scalar; local layers attending through a sliding
/// window, with their own RoPE base in Gemma 3, and global layers attending to everything; Gemma 2 soft-caps
/// attention scores and the final logits; Gemma 3 normalizes every q and k head before RoPE instead.
/// </summary>
public sealed class GemmaModel : DecoderModel
{
    private readonly RopeTable _globalRope;
    private readonly RopeTable _localRope;
    private readonly AttentionOptions _globalAttention;
    private readonly AttentionOptions _localAttention;
    private readonly float _embeddingScale;

    /// <summary>Prepares the weights on the backend. The model disposes the weight source and the backend when it owns them.</summary>
    public GemmaModel(ModelConfig config, IWeightSource weights, IBackend backend, ModelOptions? options = null,
        bool ownsWeights = false, bool ownsBackend = false)
        : base(config, weights, backend, options, ownsWeights, ownsBackend)
    {
        var g = config.Gemma ?? throw new ArgumentException($"a Gemma model needs the config's Gemma settings ({config.Architecture} has none)", nameof(config));
        if (config.SlidingWindow is not null)
            throw new ArgumentException("Gemma windows its local layers itself (GemmaSettings.SlidingWindow); ModelConfig.SlidingWindow must be null", nameof(config));
        Weights = GemmaWeights.Load(config, weights, backend, Options.WeightFormat);
        // Gemma 3's linear scaling stretches only the global layers' positions.
        float[] global = RotaryFrequencies.Compute(config);
        for (int i = 0; i < global.Length; i++) global[i] /= g.GlobalRopeScale;
        _globalRope = backend.CreateRope(global, config.MaxPositions, config.RopeStyle);
        _localRope = backend.CreateRope(RotaryFrequencies.Compute(config with { RopeTheta = g.LocalRopeTheta }), config.MaxPositions, config.RopeStyle);
        // The scale stays the backend's default 1/√d when query_pre_attn_scalar is head_dim, so both compute it alike.
        float scale = g.QueryPreAttentionScalar == config.HeadDim ? 0f : 1f / MathF.Sqrt(g.QueryPreAttentionScalar);
        _globalAttention = new AttentionOptions { Scale = scale, SoftCap = g.AttentionSoftCap ?? 0f };
        _localAttention = _globalAttention with { Window = g.SlidingWindow };
        // √hidden in float32, as llama.cpp computes it (transformers rounds it to the weights' dtype first).
        _embeddingScale = MathF.Sqrt(config.HiddenSize);
    }

    /// <summary>The prepared weights.</summary>
    public GemmaWeights Weights { get; }

    /// <inheritdoc/>
    public override long DecodeBytesPerToken => Weights.DecodeBytesPerToken;

    /// <inheritdoc/>
    public override DeviceTensor Forward(StepBuffers buffers, KvPool pool, StepLayout step, ReadOnlySpan<int> tokens)
    {
        CheckStep(pool, step, tokens);
        var b = Backend;
        var c = Config;
        var g = c.Gemma!;
        var views = buffers.Activations.Views(step.Rows, step.LogitRowCount);
        var (x, h, o) = (views.Residual, views.Normed, views.Projected);
        var (q, k, v, att) = (views.Query, views.Key, views.Value, views.Attended);
        var (qHeads, kHeads) = (views.QueryHeads, views.KeyHeads);
        var (gate, up) = (views.Gate, views.Up);
        int first = step.Positions[0];

        b.Embed(Weights.Embedding, tokens, x);                              // x = E[tokens] · √hidden      (T, hidden)
        b.Scale(x, _embeddingScale);
        Observe("token_embd", first, x);
        for (int l = 0; l < c.NumLayers; l++)
        {
            var w = Weights.Layers[l];
            bool local = g.SlidingLayers[l];

            // Attention block: x += norm_post(Wo · attention(rope(q), rope(k), v)), with q, k, v from norm_pre(x).
            b.RmsNorm(x, w.AttentionNorm, c.RmsNormEps, h);                 // h = x̂ ⊙ (1 + g)              (T, hidden)
            b.MatMul(h, [w.Query, w.Key, w.Value], [q, k, v]);              // q (T, heads·d); k, v (T, kvHeads·d)
            if (w.QueryNorm is not null)
            {
                b.RmsNorm(qHeads, w.QueryNorm, c.RmsNormEps, qHeads);       // Gemma 3: each head q̂ ⊙ (1 + g_q)   (T·heads, d)
                b.RmsNorm(kHeads, w.KeyNorm!, c.RmsNormEps, kHeads);        //          each head k̂ ⊙ (1 + g_k)
            }
            var rope = local ? _localRope : _globalRope;
            b.ApplyRope(q, c.HeadDim, step, rope);                          // local layers: rope_local_base_freq
            b.ApplyRope(k, c.HeadDim, step, rope);
            Observe(l, "attn_q", first, q);
            Observe(l, "attn_k", first, k);
            Observe(l, "attn_v", first, v);
            b.StoreKv(pool, l, step, k, v);                                 // pool[l][slot of each row] = k, v
            b.Attention(q, pool, l, step, att, local ? _localAttention : _globalAttention);
                                                                            // att = softmax(cap(q·Kᵀ/√qpas), causal[, window])·V
            Observe(l, "attn_out", first, att);
            b.MatMul(att, [w.Output], [o]);                                 // o = att·Woᵀ                   (T, hidden)
            b.RmsNorm(o, w.PostAttentionNorm, c.RmsNormEps, h);             // h = ô ⊙ (1 + g_post)
            b.Add(x, h);                                                    // x += h

            // MLP block: x += norm_post(W_down · (gelu_tanh(W_gate·h) ⊙ W_up·h)), with h = norm_pre(x).
            b.RmsNorm(x, w.PreMlpNorm, c.RmsNormEps, h);                    // h = x̂ ⊙ (1 + g_pre)
            b.MatMul(h, [w.Gate, w.Up], [gate, up]);                        // gate, up                      (T, ffn)
            b.GeGlu(gate, up, gate);                                        // gate = gelu_tanh(gate) ⊙ up
            Observe(l, "ffn_act", first, gate);
            b.MatMul(gate, [w.Down], [o]);                                  // o = gate·Wdᵀ                  (T, hidden)
            b.RmsNorm(o, w.PostMlpNorm, c.RmsNormEps, h);                   // h = ô ⊙ (1 + g_post)
            b.Add(x, h);                                                    // x += h
            Observe(l, "out", first, x);
        }

        // Only the rows whose next token is wanted go through the final norm and the classifier.
        var (last, normed, logits) = (views.Gathered, views.GatheredNormed, views.Logits);
        if (step.LogitRowCount == 0) return logits;
        b.GatherRows(x, step, last);                                        // the logit rows of x           (rows, hidden)
        b.RmsNorm(last, Weights.FinalNorm, c.RmsNormEps, normed);          // h = x̂ ⊙ (1 + g)
        b.MatMul(normed, [Weights.Embedding], [logits]);                    // logits = h·Eᵀ (tied)          (rows, vocab)
        if (g.FinalLogitSoftCap is { } cap) b.SoftCap(logits, cap);         // Gemma 2: logits = cap·tanh(logits / cap)
        Observe("result_output", step.Positions[step.LogitRows[0]], logits);
        return logits;
    }

    /// <inheritdoc/>
    protected override void DisposeWeights()
    {
        _globalRope.Dispose();
        _localRope.Dispose();
        Weights.Dispose();
    }
}
