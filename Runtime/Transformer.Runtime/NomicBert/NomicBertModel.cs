using Transformer.Kernels.Backend;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime.Embeddings;

namespace Transformer.Runtime.NomicBert;

/// <summary>
/// nomic-bert (Nussbaum, Morris, Duderstadt and Mulyar, "Nomic Embed: Training a Reproducible Long Context Text
/// Embedder", 2024): BERT with rotary positions, a SwiGLU MLP and no biases. Word + token-type embeddings (no position
/// table), normalized; then post-norm layers, x = LayerNorm(x + Wo·attention(RoPE(Wq·x), RoPE(Wk·x), Wv·x)) and
/// x = LayerNorm(x + W₂·(W₁₁·x ⊙ silu(W₁₂·x))), every token attending to every token of its sentence.
/// </summary>
public sealed class NomicBertModel : EncoderModel
{
    private readonly NomicBertConfig _config;
    private readonly RopeTable _rope;

    /// <summary>Prepares the weights and the rotary table on the backend. The model disposes the weight source and the backend when it owns them.</summary>
    public NomicBertModel(NomicBertConfig config, IWeightSource weights, IBackend backend, ModelOptions? options = null, bool ownsWeights = false, bool ownsBackend = false)
        : base(config, weights, backend, ownsWeights, ownsBackend)
    {
        _config = config;
        Weights = NomicBertWeights.Load(config, weights, backend, (options ?? new ModelOptions()).WeightFormat);
        // inv_freq[i] = base^(−2i / rotary_dim): rotate_half pairs (i, i + rotary_dim/2) over the first rotary_dim features.
        var inverse = new float[config.RotaryDim / 2];
        for (int i = 0; i < inverse.Length; i++) inverse[i] = (float)(1.0 / Math.Pow(config.RotaryBase, 2.0 * i / config.RotaryDim));
        _rope = backend.CreateRope(inverse, config.MaxPositions, RopeStyle.RotateHalf);
    }

    /// <summary>The prepared weights.</summary>
    public NomicBertWeights Weights { get; }

    /// <inheritdoc/>
    protected override float[] Forward(PackedBatch batch)
    {
        var b = Backend;
        var c = _config;
        var w = Weights;
        int rows = batch.Tokens.Length;
        using var a = new NomicBertBuffers(b, rows, c);
        var (x, e) = (a.Residual, a.Scratch);
        var positions = a.Positions(batch.Positions);

        b.Embed(w.WordEmbedding, batch.Tokens, x);                         // x = E_word[token]                  (T, hidden)
        b.Embed(w.TokenTypeEmbedding, batch.Types, e);                     //   + E_type[segment]
        b.Add(x, e);
        b.LayerNorm(x, w.EmbeddingNorm.Weight, w.EmbeddingNorm.Bias, c.LayerNormEps, x);
        foreach (var l in w.Layers)
        {
            // Attention block (post-norm): x = LayerNorm(x + Wo·attention(RoPE(q), RoPE(k), v)).
            b.MatMul(x, [l.Query, l.Key, l.Value], [a.Query, a.Key, a.Value]);   // [q; k; v] = x·Wqkvᵀ   (T, hidden) each
            b.ApplyRope(a.Query, c.HeadDim, positions, _rope);              // rotate by the position in its sentence
            b.ApplyRope(a.Key, c.HeadDim, positions, _rope);
            b.BidirectionalAttention(a.Query, a.Key, a.Value, c.HeadDim, batch.Lengths, a.Attended);
                                                                            // att = softmax(q·Kᵀ/√d over its sentence)·V
            b.MatMul(a.Attended, [l.AttentionOutput], [e]);                 // e = att·Woᵀ
            b.Add(x, e);
            b.LayerNorm(x, l.AttentionNorm.Weight, l.AttentionNorm.Bias, c.LayerNormEps, x);

            // MLP block (post-norm): x = LayerNorm(x + W₂·(fc11(x) ⊙ silu(fc12(x)))).
            b.MatMul(x, [l.Gate, l.Up], [a.Gate, a.Up]);                    // gate = x·W₁₂ᵀ, up = x·W₁₁ᵀ         (T, ffn)
            b.SwiGlu(a.Gate, a.Up, a.Gate);                                 // f = silu(gate) ⊙ up
            b.MatMul(a.Gate, [l.Down], [e]);                                // e = f·W₂ᵀ                           (T, hidden)
            b.Add(x, e);
            b.LayerNorm(x, l.OutputNorm.Weight, l.OutputNorm.Bias, c.LayerNormEps, x);
        }
        var states = new float[rows * c.HiddenSize];
        b.Download(x, states);
        return states;
    }

    /// <inheritdoc/>
    protected override void DisposeWeights()
    {
        Weights.Dispose();
        _rope.Dispose();
    }
}
