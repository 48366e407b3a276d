using Transformer.Kernels.Backend;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime.Embeddings;

namespace Transformer.Runtime.Bert;

/// <summary>
/// BERT (Devlin, Chang, Lee and Toutanova, 2018), the encoder: the sum of word, position and token-type embeddings,
/// normalized; then post-norm layers, each x = LayerNorm(x + SelfAttention(x)) and x = LayerNorm(x + MLP(x)), where
/// every token attends to every token of its sentence (no causal mask) and the MLP is W₂·gelu(W₁·x + b₁) + b₂ with the
/// exact erf GELU. The output is the last hidden state of every token, from which sentence embeddings are pooled.
/// </summary>
public sealed class BertModel : EncoderModel
{
    private readonly BertConfig _config;

    /// <summary>Prepares the weights on the backend. The model disposes the weight source and the backend when it owns them.</summary>
    public BertModel(BertConfig config, IWeightSource weights, IBackend backend, ModelOptions? options = null, bool ownsWeights = false, bool ownsBackend = false)
        : base(config, weights, backend, ownsWeights, ownsBackend)
    {
        _config = config;
        Weights = BertWeights.Load(config, weights, backend, (options ?? new ModelOptions()).WeightFormat);
    }

    /// <summary>The prepared weights.</summary>
    public BertWeights Weights { get; }

    /// <inheritdoc/>
    protected override float[] Forward(PackedBatch batch)
    {
        var states = new float[batch.Tokens.Length * _config.HiddenSize];
        using var buffers = new BertBuffers(Backend, batch.Tokens.Length, _config);
        Backend.Download(Forward(buffers, batch.Tokens, batch.Positions, batch.Types, batch.Lengths), states);
        return states;
    }

    /// <summary>The encoder itself, in the paper's order; returns the last hidden states (a view of <paramref name="a"/>).</summary>
    private DeviceTensor Forward(BertBuffers a, int[] tokens, int[] positions, int[] types, int[] lengths)
    {
        var b = Backend;
        var c = _config;
        var w = Weights;
        var (x, e) = (a.Residual, a.Scratch);

        b.Embed(w.WordEmbedding, tokens, x);                               // x = E_word[token]                  (T, hidden)
        b.Embed(w.PositionEmbedding, positions, e);                        //   + E_pos[position in its sentence]
        b.Add(x, e);
        b.Embed(w.TokenTypeEmbedding, types, e);                           //   + E_type[segment]
        b.Add(x, e);
        b.LayerNorm(x, w.EmbeddingNorm.Weight, w.EmbeddingNorm.Bias, c.LayerNormEps, x);
        foreach (var l in w.Layers)
        {
            // Attention block (post-norm): x = LayerNorm(x + Wo·attention(Wq·x, Wk·x, Wv·x)).
            b.MatMul(x, [l.Query.Weight, l.Key.Weight, l.Value.Weight], [a.Query, a.Key, a.Value]);
            b.AddBias(a.Query, l.Query.Bias);                              // q, k, v = x·Wᵀ + b                  (T, hidden)
            b.AddBias(a.Key, l.Key.Bias);
            b.AddBias(a.Value, l.Value.Bias);
            b.BidirectionalAttention(a.Query, a.Key, a.Value, c.HeadDim, lengths, a.Attended);
                                                                            // att = softmax(q·Kᵀ/√d over its sentence)·V
            b.MatMul(a.Attended, [l.AttentionOutput.Weight], [e]);         // e = att·Woᵀ + bo
            b.AddBias(e, l.AttentionOutput.Bias);
            b.Add(x, e);
            b.LayerNorm(x, l.AttentionNorm.Weight, l.AttentionNorm.Bias, c.LayerNormEps, x);

            // MLP block (post-norm): x = LayerNorm(x + W₂·gelu(W₁·x + b₁) + b₂).
            b.MatMul(x, [l.Intermediate.Weight], [a.Intermediate]);        // f = gelu(x·W₁ᵀ + b₁)                (T, ffn)
            b.AddBias(a.Intermediate, l.Intermediate.Bias);
            b.Gelu(a.Intermediate, a.Intermediate);
            b.MatMul(a.Intermediate, [l.Output.Weight], [e]);              // e = f·W₂ᵀ + b₂                      (T, hidden)
            b.AddBias(e, l.Output.Bias);
            b.Add(x, e);
            b.LayerNorm(x, l.OutputNorm.Weight, l.OutputNorm.Bias, c.LayerNormEps, x);
        }
        return x;
    }

    /// <inheritdoc/>
    protected override void DisposeWeights() => Weights.Dispose();
}
