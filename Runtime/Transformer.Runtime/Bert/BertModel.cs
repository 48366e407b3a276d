using Transformer.Kernels.Backend;
using Transformer.Loader;
using Transformer.Loader.Config;

namespace Transformer.Runtime.Bert;

/// <summary>
/// BERT (Devlin, Chang, Lee and Toutanova, 2018), the encoder: the sum of word, position and token-type embeddings,
/// normalized; then post-norm layers, each x = LayerNorm(x + SelfAttention(x)) and x = LayerNorm(x + MLP(x)), where
/// every token attends to every token of its sentence (no causal mask) and the MLP is W₂·gelu(W₁·x + b₁) + b₂ with the
/// exact erf GELU. The output is the last hidden state of every token, from which sentence embeddings are pooled.
/// Sentences of a batch are packed one after another: no padding, and each attends only to itself, which is what
/// BERT's attention mask over a padded batch computes.
/// </summary>
public sealed class BertModel : IDisposable
{
    private readonly IWeightSource _source;
    private readonly bool _ownsWeights, _ownsBackend;
    private bool _disposed;

    /// <summary>Prepares the weights on the backend. The model disposes the weight source and the backend when it owns them.</summary>
    public BertModel(BertConfig config, IWeightSource weights, IBackend backend, ModelOptions? options = null, bool ownsWeights = false, bool ownsBackend = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(backend);
        Config = config;
        Backend = backend;
        _source = weights;
        Weights = BertWeights.Load(config, weights, backend, (options ?? new ModelOptions()).WeightFormat);
        (_ownsWeights, _ownsBackend) = (ownsWeights, ownsBackend);
    }

    /// <summary>The encoder's shape.</summary>
    public BertConfig Config { get; }
    /// <summary>The backend the encoder runs on.</summary>
    public IBackend Backend { get; }
    /// <summary>The prepared weights.</summary>
    public BertWeights Weights { get; }
    /// <summary>Width of each token's hidden state.</summary>
    public int HiddenSize => Config.HiddenSize;

    /// <summary>
    /// The last hidden state of every token of every sequence: [Σ lengths, hidden] row-major, the sequences one after
    /// another. Token types default to 0 (one segment). Throws <see cref="ArgumentException"/> for an empty sequence or
    /// an id outside the vocabulary, <see cref="ContextOverflowException"/> for a sequence longer than the positions.
    /// </summary>
    public float[] Encode(IReadOnlyList<IReadOnlyList<int>> sequences, IReadOnlyList<IReadOnlyList<int>>? tokenTypes = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (tokens, positions, types, lengths) = Pack(sequences, tokenTypes);
        var states = new float[tokens.Length * Config.HiddenSize];
        using var buffers = new BertBuffers(Backend, tokens.Length, Config);
        Backend.Download(Forward(buffers, tokens, positions, types, lengths), states);
        return states;
    }

    /// <summary>The encoder itself, in the paper's order; returns the last hidden states (a view of <paramref name="a"/>).</summary>
    private DeviceTensor Forward(BertBuffers a, int[] tokens, int[] positions, int[] types, int[] lengths)
    {
        var b = Backend;
        var c = Config;
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

    // Flattens the batch into rows, each with its position inside its own sentence, checking every id.
    private (int[] Tokens, int[] Positions, int[] Types, int[] Lengths) Pack(IReadOnlyList<IReadOnlyList<int>> sequences, IReadOnlyList<IReadOnlyList<int>>? tokenTypes)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0) throw new ArgumentException("at least one sequence is needed", nameof(sequences));
        if (tokenTypes is not null && tokenTypes.Count != sequences.Count)
            throw new ArgumentException($"{tokenTypes.Count} token-type lists for {sequences.Count} sequences", nameof(tokenTypes));
        int total = 0;
        var lengths = new int[sequences.Count];
        for (int s = 0; s < sequences.Count; s++)
        {
            int length = sequences[s]?.Count ?? throw new ArgumentException($"sequence {s} is null", nameof(sequences));
            if (length == 0) throw new ArgumentException($"sequence {s} is empty: BERT needs at least one token", nameof(sequences));
            if (length > Config.MaxPositions) throw new ContextOverflowException(Config.MaxPositions, length);
            if (tokenTypes is not null && tokenTypes[s]?.Count != length)
                throw new ArgumentException($"sequence {s} has {length} tokens and {tokenTypes[s]?.Count ?? 0} token types", nameof(tokenTypes));
            lengths[s] = length;
            total += length;
        }
        var (tokens, positions, types) = (new int[total], new int[total], new int[total]);
        int row = 0;
        for (int s = 0; s < sequences.Count; s++)
        {
            for (int p = 0; p < lengths[s]; p++, row++)
            {
                int id = sequences[s][p];
                if ((uint)id >= (uint)Config.VocabSize)
                    throw new ArgumentException($"token id {id} (sequence {s}, position {p}) is outside the vocabulary of {Config.VocabSize}", nameof(sequences));
                int type = tokenTypes?[s][p] ?? 0;
                if ((uint)type >= (uint)Config.TypeVocabSize)
                    throw new ArgumentException($"token type {type} (sequence {s}, position {p}) is outside the model's {Config.TypeVocabSize} types", nameof(tokenTypes));
                (tokens[row], positions[row], types[row]) = (id, p, type);
            }
        }
        return (tokens, positions, types, lengths);
    }

    /// <summary>Releases the weights, and the weight source and backend when the model owns them.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Weights.Dispose();
        if (_ownsWeights) _source.Dispose();
        if (_ownsBackend) Backend.Dispose();
    }
}
