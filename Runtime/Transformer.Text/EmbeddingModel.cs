using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Loader.Tokenization;
using Transformer.Runtime;
using Transformer.Runtime.Embeddings;
using Transformer.Tokenizers;

namespace Transformer.Text;

/// <summary>
/// An encoder with its tokenizer and pooling, turning text into sentence vectors: the embedding counterpart of
/// <see cref="LanguageModel"/>. Calls are serialized (one forward pass at a time on the backend), so one instance may be
/// shared between threads.
/// </summary>
/// <example>
/// <code>
/// using var model = EmbeddingModel.Load("models/all-MiniLM-L6-v2");
/// float[] vector = model.Embed("A sentence to search for");
/// </code>
/// </example>
public sealed class EmbeddingModel : IDisposable
{
    // Sentences per forward pass: bounds the activations of a large batch.
    private const int SentencesPerPass = 32;
    private readonly Lock _forward = new();

    private EmbeddingModel(EncoderModel model, ITokenizer? tokenizer, EmbeddingPooling pooling, string modelPath, string? tokenizerPath, string? contentIdentity)
    {
        Model = model;
        Tokenizer = tokenizer;
        Pooling = pooling;
        ModelPath = modelPath;
        TokenizerPath = tokenizerPath;
        ContentIdentity = contentIdentity;
    }

    /// <summary>The encoder (BERT or nomic-bert).</summary>
    public EncoderModel Model { get; }

    /// <summary>The tokenizer, or null when none was found beside the model (then only token ids can be embedded).</summary>
    public ITokenizer? Tokenizer { get; }

    /// <summary>How token states become the sentence vector.</summary>
    public EmbeddingPooling Pooling { get; }

    /// <summary>Length of every vector.</summary>
    public int Dimensions => Model.HiddenSize;

    /// <summary>Most tokens one input may have (the encoder's positions).</summary>
    public int MaxTokens => Model.Config.MaxPositions;

    /// <summary>Full path of the model folder, or the name given to <see cref="FromParts"/>.</summary>
    public string ModelPath { get; }

    /// <summary>Full path of the tokenizer file; null without one.</summary>
    public string? TokenizerPath { get; }

    /// <summary>What identifies a model built from parts (see <see cref="FromParts"/>); null for a loaded one.</summary>
    public string? ContentIdentity { get; }

    /// <summary>
    /// Loads an encoder from a Hugging Face / sentence-transformers folder: config.json (model_type bert or nomic_bert), safetensors
    /// weights, the pooling of modules.json and 1_Pooling/config.json (<see cref="EmbeddingPooling.Read"/>), and the
    /// tokenizer beside it when there is one. Throws <see cref="ModelFormatException"/> naming the file and the problem.
    /// </summary>
    public static EmbeddingModel Load(string path, EmbeddingModelOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new EmbeddingModelOptions();
        if (options.Threads < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Threads, "threads must be ≥ 0 (0 uses every core)");
        var files = EncoderFiles.Open(path);
        IBackend? ownedBackend = null;
        EncoderModel? model = null;
        try
        {
            var pooling = EmbeddingPooling.Read(files.Directory);
            string? tokenizerPath = options.TokenizerPath is { } given ? Path.GetFullPath(given) : FindTokenizer(files.Directory);
            var tokenizer = tokenizerPath is null ? null : TokenizerLocator.Load(files.Directory, tokenizerPath, files.Config.VocabSize);
            var backend = options.Backend ?? (ownedBackend = new CpuBackend(new CpuBackendOptions { Threads = options.Threads }));
            model = EncoderModel.Create(files.Config, files.Weights, backend, options.Model, ownsWeights: true, ownsBackend: ownedBackend is not null);
            return new EmbeddingModel(model, tokenizer, pooling, files.Directory, tokenizerPath, contentIdentity: null);
        }
        catch
        {
            if (model is not null) model.Dispose();
            else
            {
                files.Dispose();
                ownedBackend?.Dispose();
            }
            throw;
        }
    }

    /// <summary>
    /// An encoder, tokenizer (may be null: token ids only) and pooling built by the caller; <paramref name="name"/> stands
    /// for the paths. Takes ownership of <paramref name="model"/>.
    /// </summary>
    public static EmbeddingModel FromParts(EncoderModel model, ITokenizer? tokenizer, EmbeddingPooling pooling, string name, string? contentIdentity = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pooling);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (tokenizer is not null && tokenizer.VocabSize != model.Config.VocabSize)
            throw new ArgumentException($"the tokenizer has {tokenizer.VocabSize} ids, the model {model.Config.VocabSize}", nameof(tokenizer));
        return new EmbeddingModel(model, tokenizer, pooling, name, tokenizer is null ? null : name, contentIdentity);
    }

    /// <summary>Token ids of <paramref name="text"/> with the tokenizer's special tokens (for BERT, [CLS] … [SEP]), as sentence-transformers encodes.</summary>
    /// <exception cref="InvalidOperationException">The model has no tokenizer.</exception>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokenizer = Tokenizer ?? throw new InvalidOperationException(
            $"{ModelPath}: no tokenizer was found beside the model, so text cannot be embedded; pass token ids, or a tokenizer file");
        // A Hugging Face tokenizer adds what its post-processor says ([CLS] … [SEP] for BERT); another, its BOS.
        return tokenizer is IHuggingFaceTokenizer huggingFace ? huggingFace.EncodeWithSpecialTokens(text, addSpecialTokens: true) : tokenizer.Encode(text, addBos: true);
    }

    /// <summary>The vector of one text.</summary>
    public float[] Embed(string text) => EmbedTokens([Encode(text)])[0];

    /// <summary>The vectors of several texts, in order.</summary>
    public float[][] Embed(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return EmbedTokens(texts.Select(Encode).ToArray());
    }

    /// <summary>The vector of one token sequence (ids as the tokenizer gives them, special tokens included).</summary>
    public float[] EmbedTokens(IReadOnlyList<int> tokens) => EmbedTokens([tokens])[0];

    /// <summary>
    /// The vectors of several token sequences, in order. Throws <see cref="ArgumentException"/> for an empty sequence or an
    /// id outside the vocabulary and <see cref="ContextOverflowException"/> for one longer than <see cref="MaxTokens"/>.
    /// </summary>
    public float[][] EmbedTokens(IReadOnlyList<IReadOnlyList<int>> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var vectors = new float[sequences.Count][];
        int hidden = Dimensions;
        for (int first = 0; first < sequences.Count; first += SentencesPerPass)
        {
            var pass = sequences.Skip(first).Take(SentencesPerPass).ToArray();
            float[] states;
            lock (_forward) states = Model.Encode(pass);
            int row = 0;
            for (int s = 0; s < pass.Length; s++)
            {
                vectors[first + s] = EmbeddingPooler.Pool(states.AsSpan(row * hidden, pass[s].Count * hidden), hidden, Pooling);
                row += pass[s].Count;
            }
        }
        return vectors;
    }

    /// <summary>Releases the weights, and the backend when <see cref="Load"/> created it.</summary>
    public void Dispose() => Model.Dispose();

    // The tokenizer beside the model, or null when there is none (token ids can still be embedded).
    private static string? FindTokenizer(string directory)
    {
        try
        {
            return TokenizerLocator.Find(directory);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }
}
