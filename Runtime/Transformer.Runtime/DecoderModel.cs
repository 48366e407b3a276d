using Transformer.Kernels.Backend;
using Transformer.Loader;
using Transformer.Loader.Config;

namespace Transformer.Runtime;

/// <summary>
/// A decoder-only language model written against the backend interface: what the single-sequence API
/// (<see cref="Sequence"/>), the generation loops and the serving scheduler drive, whatever the family.
/// A family (Llama, Qwen3, Phi-3, ...) derives from it and writes its own <see cref="Forward"/> in the
/// order of its paper; what every family shares (sequences, the KV pool's shape, scratch activations,
/// input checks, named activations) lives here once.
/// </summary>
public abstract class DecoderModel : IDisposable
{
    private readonly IWeightSource? _ownedWeights;
    private readonly IBackend? _ownedBackend;
    private bool _disposed;

    /// <summary>Records what the model runs on; the family's constructor then prepares its weights.</summary>
    protected DecoderModel(ModelConfig config, IWeightSource weights, IBackend backend, ModelOptions? options, bool ownsWeights, bool ownsBackend)
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
        ArgumentNullException.ThrowIfNull(weights);
        Backend = backend ?? throw new ArgumentNullException(nameof(backend));
        Options = options ?? new ModelOptions();
        if (Options.PrefillChunk < 1) throw new ArgumentOutOfRangeException(nameof(options), "PrefillChunk must be at least 1");
        if (ownsWeights) _ownedWeights = weights;
        if (ownsBackend) _ownedBackend = backend;
    }

    /// <summary>The model's shape and variant flags.</summary>
    public ModelConfig Config { get; }
    /// <summary>The backend that runs it.</summary>
    public IBackend Backend { get; }
    /// <summary>Options in force.</summary>
    public ModelOptions Options { get; }

    /// <summary>Most positions one sequence can hold: max_position_embeddings.</summary>
    public int MaxSequenceLength => Config.MaxPositions;

    /// <summary>
    /// Weight bytes one decode step reads, in the backend's format: every layer matrix plus the classifier
    /// (the embedding contributes one row, which is negligible). For bandwidth figures.
    /// </summary>
    public abstract long DecodeBytesPerToken { get; }

    /// <summary>
    /// Starts an empty sequence with its own KV blocks for up to <paramref name="maxTokens"/> positions
    /// (default and upper bound: the model's max_position_embeddings).
    /// </summary>
    public Sequence CreateSequence(int? maxTokens = null)
    {
        int limit = MaxSequenceLength;
        int capacity = maxTokens ?? limit;
        if (capacity < 1 || capacity > limit)
            throw new ArgumentOutOfRangeException(nameof(maxTokens), $"a sequence holds 1 to {limit} tokens for this model, {capacity} were asked for");
        return new Sequence(this, capacity, Math.Min(Options.PrefillChunk, capacity));
    }

    /// <summary>
    /// The first position a token at <paramref name="position"/> attends to in the step layout: 0, or with a
    /// sliding window on every layer (<c>sliding_window</c>) the start of the window, as Hugging Face masks it.
    /// </summary>
    public int FirstAttendedPosition(int position) =>
        Config.SlidingWindow is { } w && Config.SlidingLayers is null ? Math.Max(0, position - w + 1) : 0;

    /// <summary>
    /// Attention options of layer <paramref name="layer"/>: its window when only some layers slide (the step then
    /// keeps every position for the full layers, and a sliding layer's attention reads only its window's blocks).
    /// </summary>
    protected AttentionOptions LayerAttention(int layer) =>
        Config.SlidingLayers is null ? default : new AttentionOptions { Window = Config.LayerWindow(layer) };

    /// <summary>A paged KV pool for this model's layers and heads on its backend.</summary>
    public KvPool CreateKvPool(int blocks, int blockSize, KvDType type) =>
        Backend.CreateKvPool(new KvPoolShape(Config.NumLayers, blocks, blockSize, Config.NumKvHeads, Config.HeadDim, type));

    /// <summary>Scratch activations for steps of up to <paramref name="rows"/> rows, <paramref name="logitRows"/> of them with logits.</summary>
    public StepBuffers CreateStepBuffers(int rows, int logitRows) => new(new DecoderActivations(Backend, Config, rows, logitRows));

    /// <summary>
    /// Runs one step: <paramref name="tokens"/>[r] is row r of <paramref name="step"/>, at its position in its
    /// own sequence, attending to that sequence's cached positions in <paramref name="pool"/> and writing
    /// its own key and value there. Returns the logits of the step's logit rows, [LogitRowCount, vocab],
    /// valid until the buffers run the next step (no rows when no row wants logits). Each row's result depends
    /// only on its own sequence: the weights are read once for all rows, but no sum runs across rows.
    /// </summary>
    public abstract DeviceTensor Forward(StepBuffers buffers, KvPool pool, StepLayout step, ReadOnlySpan<int> tokens);

    /// <summary>The checks every family's <see cref="Forward"/> starts with: shapes, token ids, positions.</summary>
    protected void CheckStep(KvPool pool, StepLayout step, ReadOnlySpan<int> tokens)
    {
        if (tokens.Length != step.Rows) throw new ArgumentException($"a step of {step.Rows} rows got {tokens.Length} tokens", nameof(tokens));
        if (step.Rows == 0) throw new ArgumentException("a step needs at least one row", nameof(step));
        if (step.BlockSize != pool.Shape.BlockSize) throw new ArgumentException($"the step's blocks of {step.BlockSize} do not match the pool's {pool.Shape.BlockSize}", nameof(step));
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)Config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {tokens[i]} at index {i} is outside the vocabulary [0, {Config.VocabSize})");
        }
        foreach (int position in step.Positions)
        {
            if (position >= Config.MaxPositions) throw new ContextOverflowException(Config.MaxPositions, position + 1);
        }
    }

    /// <summary>x += bias, when the weight has one.</summary>
    protected void AddBias(DeviceTensor x, DeviceTensor? bias)
    {
        if (bias is not null) Backend.AddBias(x, bias);
    }

    /// <summary>Hands layer <paramref name="layer"/>'s activation <c>blk.N.suffix</c> to the observer, if any.</summary>
    // The layer's name is built only when someone observes: decoding must not allocate a string per layer.
    protected void Observe(int layer, string suffix, int start, DeviceTensor tensor)
    {
        if (Options.ActivationObserver is not null) Observe($"blk.{layer}.{suffix}", start, tensor);
    }

    /// <summary>Hands a named activation to the observer, if any (a copy to the host).</summary>
    protected void Observe(string name, int start, DeviceTensor tensor)
    {
        if (Options.ActivationObserver is not { } observer) return;
        var host = new float[tensor.Rows * tensor.Columns];
        Backend.Download(tensor, host);
        observer(name, start, tensor.Rows, tensor.Columns, host);
    }

    /// <summary>Releases what the family prepared on the backend (weights, rope tables).</summary>
    protected abstract void DisposeWeights();

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        DisposeWeights();
        _ownedWeights?.Dispose();
        _ownedBackend?.Dispose();
        GC.SuppressFinalize(this);
    }
}
