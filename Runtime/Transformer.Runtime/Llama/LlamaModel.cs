using Transformer.Kernels.Backend;
using Transformer.Loader;
using Transformer.Loader.Config;

namespace Transformer.Runtime.Llama;

/// <summary>
/// A Llama-family decoder (Llama 2/3, Mistral, Qwen2, SmolLM, TinyLlama) written once against the
/// backend interface. The forward pass below reads in the order of the paper.
/// </summary>
public sealed class LlamaModel : IDisposable
{
    private readonly IWeightSource? _ownedWeights;
    private readonly IBackend? _ownedBackend;
    private readonly RopeTable _rope;

    /// <summary>Prepares the weights on the backend. The model disposes the weight source and the backend when it owns them.</summary>
    public LlamaModel(ModelConfig config, IWeightSource weights, IBackend backend, ModelOptions? options = null,
        bool ownsWeights = false, bool ownsBackend = false)
    {
        Config = config;
        Backend = backend;
        Options = options ?? new ModelOptions();
        if (Options.PrefillChunk < 1) throw new ArgumentOutOfRangeException(nameof(options), "PrefillChunk must be at least 1");
        Weights = LlamaWeights.Load(config, weights, backend, Options.WeightFormat);
        _rope = backend.CreateRope(RotaryFrequencies.Compute(config), config.MaxPositions, config.RopeStyle);
        if (ownsWeights) _ownedWeights = weights;
        if (ownsBackend) _ownedBackend = backend;
    }

    /// <summary>The model's shape and variant flags.</summary>
    public ModelConfig Config { get; }
    /// <summary>The backend that runs it.</summary>
    public IBackend Backend { get; }
    /// <summary>Options in force.</summary>
    public ModelOptions Options { get; }
    /// <summary>The prepared weights.</summary>
    public LlamaWeights Weights { get; }

    /// <summary>Most positions one sequence can hold: max_position_embeddings.</summary>
    public int MaxSequenceLength => Config.MaxPositions;

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
    /// The first position a token at <paramref name="position"/> attends to: 0, or with a sliding window
    /// (Mistral's <c>sliding_window</c>) the start of the window, as Hugging Face masks it.
    /// </summary>
    public int FirstAttendedPosition(int position) => Config.SlidingWindow is { } w ? Math.Max(0, position - w + 1) : 0;

    /// <summary>A paged KV pool for this model's layers and heads on its backend.</summary>
    public KvPool CreateKvPool(int blocks, int blockSize, KvDType type) =>
        Backend.CreateKvPool(new KvPoolShape(Config.NumLayers, blocks, blockSize, Config.NumKvHeads, Config.HeadDim, type));

    /// <summary>Scratch activations for steps of up to <paramref name="rows"/> rows, <paramref name="logitRows"/> of them with logits.</summary>
    public StepBuffers CreateStepBuffers(int rows, int logitRows) => new(new LlamaActivations(Backend, Config, rows, logitRows));

    /// <summary>
    /// Runs one step: <paramref name="tokens"/>[r] is row r of <paramref name="step"/>, at its position in its
    /// own sequence, attending to that sequence's cached positions in <paramref name="pool"/> and writing
    /// its own key and value there. Returns the logits of the step's logit rows, [LogitRowCount, vocab],
    /// valid until the buffers run the next step (no rows when no row wants logits). Each row's result depends only on its own sequence:
    /// the weights are read once for all rows, but no sum runs across rows.
    /// </summary>
    public DeviceTensor Forward(StepBuffers buffers, KvPool pool, StepLayout step, ReadOnlySpan<int> tokens)
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
            b.Attention(q, pool, l, step, att);                             // att = softmax(q·Kᵀ/√d, causal, own sequence)·V   (T, heads·d)
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

    private void AddBias(DeviceTensor x, DeviceTensor? bias)
    {
        if (bias is not null) Backend.AddBias(x, bias);
    }

    // The layer's name is built only when someone observes: decoding must not allocate a string per layer.
    private void Observe(int layer, string suffix, int start, DeviceTensor tensor)
    {
        if (Options.ActivationObserver is not null) Observe($"blk.{layer}.{suffix}", start, tensor);
    }

    private void Observe(string name, int start, DeviceTensor tensor)
    {
        if (Options.ActivationObserver is not { } observer) return;
        var host = new float[tensor.Rows * tensor.Columns];
        Backend.Download(tensor, host);
        observer(name, start, tensor.Rows, tensor.Columns, host);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _rope.Dispose();
        Weights.Dispose();
        _ownedWeights?.Dispose();
        _ownedBackend?.Dispose();
    }
}
