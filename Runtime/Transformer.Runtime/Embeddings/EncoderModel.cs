using Transformer.Kernels.Backend;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime.Bert;
using Transformer.Runtime.NomicBert;

namespace Transformer.Runtime.Embeddings;

/// <summary>
/// An encoder of the BERT lineage: token ids in, the last hidden state of every token out, every token attending to
/// every token of its own sentence. Sentences of a batch are packed one after another (no padding), which is what an
/// attention mask over a padded batch computes. The families (<see cref="BertModel"/>, <see cref="NomicBertModel"/>)
/// each write their forward pass; checking and packing the batch is shared here.
/// </summary>
public abstract class EncoderModel : IDisposable
{
    private readonly IWeightSource _source;
    private readonly bool _ownsWeights, _ownsBackend;
    private bool _disposed;

    /// <summary>Keeps the weight source and backend; the model disposes them when it owns them.</summary>
    protected EncoderModel(EncoderConfig config, IWeightSource weights, IBackend backend, bool ownsWeights, bool ownsBackend)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(backend);
        Config = config;
        Backend = backend;
        _source = weights;
        (_ownsWeights, _ownsBackend) = (ownsWeights, ownsBackend);
    }

    /// <summary>The encoder for the config's family: BERT or nomic-bert.</summary>
    public static EncoderModel Create(EncoderConfig config, IWeightSource weights, IBackend backend, ModelOptions? options = null, bool ownsWeights = false, bool ownsBackend = false) =>
        config switch
        {
            BertConfig bert => new BertModel(bert, weights, backend, options, ownsWeights, ownsBackend),
            NomicBertConfig nomic => new NomicBertModel(nomic, weights, backend, options, ownsWeights, ownsBackend),
            _ => throw new ModelFormatException($"no encoder runs a {config.GetType().Name}; supported: {string.Join(", ", EncoderConfigReader.ModelTypes)}"),
        };

    /// <summary>The encoder's shape.</summary>
    public EncoderConfig Config { get; }
    /// <summary>The backend the encoder runs on.</summary>
    public IBackend Backend { get; }
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
        return Forward(Pack(sequences, tokenTypes));
    }

    /// <summary>A checked, packed batch: per row its token, its position in its sentence and its type; per sentence its length.</summary>
    protected sealed record PackedBatch(int[] Tokens, int[] Positions, int[] Types, int[] Lengths);

    /// <summary>The family's forward pass over a packed batch; returns the last hidden states [rows, hidden].</summary>
    protected abstract float[] Forward(PackedBatch batch);

    /// <summary>Releases the family's prepared weights.</summary>
    protected abstract void DisposeWeights();

    // Flattens the batch into rows, each with its position inside its own sentence, checking every id.
    private PackedBatch Pack(IReadOnlyList<IReadOnlyList<int>> sequences, IReadOnlyList<IReadOnlyList<int>>? tokenTypes)
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
            if (length == 0) throw new ArgumentException($"sequence {s} is empty: an encoder needs at least one token", nameof(sequences));
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
        return new PackedBatch(tokens, positions, types, lengths);
    }

    /// <summary>Releases the weights, and the weight source and backend when the model owns them.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        DisposeWeights();
        if (_ownsWeights) _source.Dispose();
        if (_ownsBackend) Backend.Dispose();
        GC.SuppressFinalize(this);
    }
}
