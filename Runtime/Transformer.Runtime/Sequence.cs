using Transformer.Kernels.Backend;
using Transformer.Runtime.Llama;

namespace Transformer.Runtime;

/// <summary>
/// One token sequence being processed by a model: its KV cache and scratch activations. Appending
/// tokens runs them through the model (a prompt in batched chunks, then one token at a time) and
/// returns logits for what comes next. Not thread-safe; use one sequence per concurrent generation.
/// </summary>
public sealed class Sequence : IDisposable
{
    private readonly LlamaModel _model;
    private readonly KvCache _cache;
    private readonly LlamaActivations _activations;

    internal Sequence(LlamaModel model, int capacity, int chunkRows)
    {
        _model = model;
        Capacity = capacity;
        _cache = model.Backend.CreateKvCache(model.Config.NumLayers, capacity, model.Config.NumKvHeads, model.Config.HeadDim);
        _activations = new LlamaActivations(model.Backend, model.Config, chunkRows);
    }

    /// <summary>Positions filled so far.</summary>
    public int Length { get; private set; }

    /// <summary>Most positions this sequence can hold.</summary>
    public int Capacity { get; }

    /// <summary>Vocabulary size: the length of one row of logits.</summary>
    public int VocabSize => _model.Config.VocabSize;

    /// <summary>Appends tokens and writes the logits predicting the token after the last one.</summary>
    public void Append(ReadOnlySpan<int> tokens, Span<float> nextTokenLogits)
    {
        CheckDestination(nextTokenLogits, VocabSize);
        _model.Backend.Download(Run(tokens, allRows: false, destination: default), nextTokenLogits);
    }

    /// <summary>Appends tokens and returns the most likely next token, computed on the backend's device.</summary>
    public int AppendAndArgmax(ReadOnlySpan<int> tokens) => _model.Backend.Argmax(Run(tokens, allRows: false, destination: default));

    /// <summary>Appends tokens and writes the logits after every one of them: [tokens, vocab], row-major.</summary>
    public void AppendAll(ReadOnlySpan<int> tokens, Span<float> logitsPerToken)
    {
        CheckDestination(logitsPerToken, tokens.Length * VocabSize);
        Run(tokens, allRows: true, logitsPerToken);
    }

    /// <summary>Forgets positions from <paramref name="length"/> on, keeping the cached prefix before it.</summary>
    public void Truncate(int length)
    {
        if (length < 0 || length > Length)
            throw new ArgumentOutOfRangeException(nameof(length), $"cannot truncate a sequence of {Length} tokens to {length}");
        Length = length;
    }

    private DeviceTensor Run(ReadOnlySpan<int> tokens, bool allRows, Span<float> destination)
    {
        if (tokens.IsEmpty) throw new ArgumentException("at least one token is needed", nameof(tokens));
        if (Length + tokens.Length > Capacity) throw new ContextOverflowException(Capacity, Length + tokens.Length);
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {tokens[i]} at index {i} is outside the vocabulary [0, {VocabSize})");
        }

        DeviceTensor logits = null!;
        for (int done = 0; done < tokens.Length; done += _activations.Rows)
        {
            var chunk = tokens.Slice(done, Math.Min(_activations.Rows, tokens.Length - done));
            // Middle chunks of a long prompt still compute one row of logits: one GEMV, one code path.
            logits = _model.Forward(_activations, _cache, chunk, Length, allRows ? chunk.Length : 1);
            if (allRows) _model.Backend.Download(logits, destination.Slice(done * VocabSize, chunk.Length * VocabSize));
            Length += chunk.Length;
        }
        return logits;
    }

    private static void CheckDestination(Span<float> destination, int needed)
    {
        if (destination.Length != needed)
            throw new ArgumentException($"the logits destination holds {destination.Length} floats, {needed} are needed");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _cache.Dispose();
        _activations.Dispose();
    }
}
