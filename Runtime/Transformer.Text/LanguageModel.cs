using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Loader.Tokenization;
using Transformer.Runtime;
using Transformer.Runtime.Generation;
using Transformer.Tokenizers;

namespace Transformer.Text;

/// <summary>
/// A model with its tokenizer, ready to turn prompts into text: the application-facing entry point.
/// Load one with <see cref="Load"/>, stream text with <see cref="GenerateAsync"/>, and dispose it to release
/// the weights (and the backend, when it created it).
/// </summary>
/// <example>
/// <code>
/// using var model = LanguageModel.Load("models/stories260K");
/// await foreach (string piece in model.GenerateAsync("Once upon a time"))
///     Console.Write(piece);
/// </code>
/// </example>
public sealed class LanguageModel : IDisposable
{
    private readonly TextGenerator _generator;

    private LanguageModel(DecoderModel model, ITokenizer tokenizer, string modelPath, string tokenizerPath, string? contentIdentity = null)
    {
        ContentIdentity = contentIdentity;
        Model = model;
        Tokenizer = tokenizer;
        ModelPath = modelPath;
        TokenizerPath = tokenizerPath;
        _generator = new TextGenerator(model, tokenizer);
    }

    /// <summary>The model's shape and variant flags.</summary>
    public ModelConfig Config => Model.Config;

    /// <summary>The model, for work on token ids (sequences, KV caches, the token generation loop).</summary>
    public DecoderModel Model { get; }

    /// <summary>The tokenizer in use.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>The backend the model runs on.</summary>
    public IBackend Backend => Model.Backend;

    /// <summary>Full path of the model folder or file that was loaded.</summary>
    public string ModelPath { get; }

    /// <summary>Full path of the tokenizer file that was loaded.</summary>
    public string TokenizerPath { get; }

    /// <summary>
    /// What identifies the weights, config and tokenizer of a model built from parts, which has no files to hash
    /// (see <see cref="FromParts"/>); null for a loaded model, whose files identify it.
    /// </summary>
    public string? ContentIdentity { get; }

    /// <summary>
    /// Loads a model from a folder or file: a Hugging Face folder (config.json with safetensors, single or
    /// sharded), a safetensors file with config.json beside it, a llama2.c <c>.bin</c> checkpoint, or a GGUF file.
    /// The tokenizer is <see cref="LanguageModelOptions.TokenizerPath"/>, the one inside a GGUF file, or the one found beside the model
    /// (tokenizer.json, tokenizer.model, tok*.model, tok*.bin, in that order).
    /// Throws <see cref="ModelFormatException"/> naming the file and the problem when either is malformed, and
    /// <see cref="FileNotFoundException"/> when no tokenizer is found.
    /// </summary>
    public static LanguageModel Load(string path, LanguageModelOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new LanguageModelOptions();
        if (options.Threads < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Threads, "threads must be ≥ 0 (0 uses every core)");

        // Everything opened so far is released if a later step fails, so a failed load leaks no mapping.
        var files = ModelFiles.Open(path);
        IBackend? ownedBackend = null;
        DecoderModel? model = null;
        try
        {
            string tokenizerPath = options.TokenizerPath is { } given
                ? Path.GetFullPath(given)
                : files.EmbeddedTokenizerFile ?? TokenizerLocator.Find(files.Directory);
            if (!File.Exists(tokenizerPath)) throw new FileNotFoundException($"{tokenizerPath}: no such tokenizer file", tokenizerPath);
            var tokenizer = TokenizerLocator.LoadFile(tokenizerPath, files.Config.VocabSize);

            var backend = options.Backend ?? (ownedBackend = new CpuBackend(new CpuBackendOptions { Threads = options.Threads }));
            model = DecoderModels.Create(files.Config, files.Weights, backend, options.Model, ownsWeights: true, ownsBackend: ownedBackend is not null);
            return new LanguageModel(model, tokenizer, Path.GetFullPath(path), tokenizerPath);
        }
        catch
        {
            if (model is not null)
            {
                model.Dispose(); // releases the weights and the backend it owns
            }
            else
            {
                files.Dispose();
                ownedBackend?.Dispose();
            }
            throw;
        }
    }

    /// <summary>
    /// A model and a tokenizer built by the caller (synthetic weights, a custom source), served and generated
    /// from like a loaded one; <paramref name="name"/> stands for the model and tokenizer paths. The language
    /// model takes ownership of <paramref name="model"/>. <paramref name="contentIdentity"/> names what the weights and
    /// tokenizer are (e.g. a synthetic preset and its seed), for caches of responses shared between processes; without
    /// it, a server refuses to cache this model's responses.
    /// </summary>
    /// <exception cref="ArgumentException">The tokenizer's vocabulary does not match the model's.</exception>
    public static LanguageModel FromParts(DecoderModel model, ITokenizer tokenizer, string name, string? contentIdentity = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (tokenizer.VocabSize != model.Config.VocabSize)
            throw new ArgumentException($"the tokenizer has {tokenizer.VocabSize} ids, the model {model.Config.VocabSize}", nameof(tokenizer));
        return new LanguageModel(model, tokenizer, name, name, contentIdentity);
    }

    /// <summary>
    /// Streams the text generated after <paramref name="prompt"/>, piece by piece (each piece is whole
    /// characters). Each token is computed on the thread pool; cancellation stops before the next token.
    /// </summary>
    public IAsyncEnumerable<string> GenerateAsync(string prompt, GenerationOptions? options = null, GenerationStats? stats = null,
        CancellationToken cancellation = default) =>
        _generator.StreamAsync(prompt, options ?? new GenerationOptions(), stats, cancellation);

    /// <summary>Streams the text generated after <paramref name="prompt"/> on the calling thread.</summary>
    public IEnumerable<string> Generate(string prompt, GenerationOptions? options = null, GenerationStats? stats = null,
        CancellationToken cancellation = default) =>
        _generator.Stream(prompt, options ?? new GenerationOptions(), stats, cancellation);

    /// <summary>Generates and returns the whole text after <paramref name="prompt"/>.</summary>
    public string Complete(string prompt, GenerationOptions? options = null, GenerationStats? stats = null,
        CancellationToken cancellation = default) =>
        _generator.Generate(prompt, options ?? new GenerationOptions(), stats, cancellation);

    /// <summary>Token ids of <paramref name="text"/>, with BOS first when asked and the vocabulary has one.</summary>
    public IReadOnlyList<int> Encode(string text, bool addBos = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Tokenizer.Encode(text, addBos);
    }

    /// <summary>
    /// Runs <paramref name="tokens"/> through the model from an empty context and returns the logits after
    /// every one of them: [tokens, vocab] row-major, row p predicting token p + 1.
    /// Throws <see cref="ContextOverflowException"/> when they exceed the model's context.
    /// </summary>
    public float[] Logits(IReadOnlyList<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Count == 0) throw new ArgumentException("at least one token is needed", nameof(tokens));
        if (tokens.Count > Model.MaxSequenceLength) throw new ContextOverflowException(Model.MaxSequenceLength, tokens.Count);

        var ids = tokens.ToArray();
        var logits = new float[ids.Length * Config.VocabSize];
        // A sequence sized to the tokens: no KV cache for the full context is allocated for a short input.
        using var sequence = Model.CreateSequence(ids.Length);
        sequence.AppendAll(ids, logits);
        return logits;
    }

    /// <summary>Releases the weights, and the backend when <see cref="Load"/> created it.</summary>
    public void Dispose() => Model.Dispose();
}
