using Transformer.Kernels.Backend;

namespace Transformer.Runtime;

/// <summary>
/// One token sequence being processed by a model on its own: its KV blocks and scratch activations.
/// Appending tokens runs them through the model (a prompt in batched chunks, then one token at a time)
/// and returns logits for what comes next. Each append is a model step with this one sequence in it
/// (the same forward pass the serving scheduler runs over many). Not thread-safe; use one sequence per
/// concurrent generation.
/// </summary>
public sealed class Sequence : IDisposable
{
    private readonly DecoderModel _model;
    private readonly KvPool _pool;
    private readonly int[] _table;
    private readonly StepLayout _step;
    private readonly StepBuffers _buffers;
    private readonly StepBuffers _allRowBuffers;

    internal Sequence(DecoderModel model, int capacity, int chunkRows)
    {
        _model = model;
        Capacity = capacity;
        int blockSize = model.Options.KvBlockSize;
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(model), $"KvBlockSize must be at least 1, got {blockSize}");
        int blocks = (capacity + blockSize - 1) / blockSize;
        _pool = model.CreateKvPool(blocks, blockSize, model.Options.KvType);
        _table = Enumerable.Range(0, blocks).ToArray();
        _step = new StepLayout(blockSize);
        _buffers = model.CreateStepBuffers(chunkRows, 1);
        _allRowBuffers = chunkRows == 1 ? _buffers : model.CreateStepBuffers(chunkRows, chunkRows);
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

        var buffers = allRows ? _allRowBuffers : _buffers;
        DeviceTensor logits = null!;
        for (int done = 0; done < tokens.Length; done += buffers.Rows)
        {
            var chunk = tokens.Slice(done, Math.Min(buffers.Rows, tokens.Length - done));
            _step.Clear();
            int table = _step.AddBlockTable(_table);
            for (int r = 0; r < chunk.Length; r++)
            {
                int position = Length + r;
                // Middle chunks of a long prompt still compute one row of logits: one GEMV, one code path.
                bool wantLogits = allRows || r == chunk.Length - 1;
                _step.AddRow(table, position, _model.FirstAttendedPosition(position), wantLogits);
            }
            logits = _model.Forward(buffers, _pool, _step, chunk);
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
        _pool.Dispose();
        _buffers.Dispose();
        if (!ReferenceEquals(_allRowBuffers, _buffers)) _allRowBuffers.Dispose();
    }
}
