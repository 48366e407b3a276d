using Transformer.Kernels.Backend;
using Transformer.Runtime;
using Transformer.Runtime.Paging;

namespace Transformer.Serving;

/// <summary>
/// Continuous batching, one step at a time, on the calling thread (the <see cref="Scheduler"/> runs it on
/// its own). Each step removes cancelled sequences, admits waiting ones first come first served while
/// there is room, decodes one token of every running sequence, fills the rest of the step's token budget
/// with prompt chunks, runs the model once over all those rows and samples a token for every sequence
/// that reached the end of its pending tokens. When the pool runs out of blocks for a decode, the newest
/// running sequence gives its blocks back and waits to be recomputed; since a row's result does not depend
/// on the other rows, a preempted sequence produces the same tokens it would have.
/// </summary>
internal sealed class SchedulerCore : IDisposable
{
    private readonly DecoderModel _model;
    private readonly ServingOptions _options;
    private readonly KvPool _pool;
    private readonly StepBuffers _buffers;
    private readonly StepLayout _layout;
    private readonly StepPlan _plan = new();
    private readonly List<ServingSequence> _waiting = [];
    private readonly List<ServingSequence> _running = [];
    private readonly int[] _stepTokens;
    private readonly float[] _hostLogits;
    private readonly float[] _rawRow;

    public SchedulerCore(DecoderModel model, ServingOptions options)
    {
        options.Validate();
        _model = model;
        _options = options;
        int blockSize = model.Options.KvBlockSize;
        var c = model.Config;
        long perBlock = new KvPoolShape(c.NumLayers, 1, blockSize, c.NumKvHeads, c.HeadDim, options.KvType).BytesPerBlock;
        long fullContexts = perBlock * ((c.MaxPositions + blockSize - 1) / blockSize) * options.MaxSequences;
        long bytes = options.KvMemoryBytes ?? ServingOptions.DefaultKvMemory(fullContexts);
        int blocks = KvPoolShape.BlocksFor(bytes, c.NumLayers, blockSize, c.NumKvHeads, c.HeadDim, options.KvType);
        Blocks = new KvBlockManager(blocks, blockSize, options.PrefixCaching);
        _pool = model.CreateKvPool(blocks, blockSize, options.KvType);
        _buffers = model.CreateStepBuffers(options.StepTokenBudget, options.MaxSequences);
        _layout = new StepLayout(blockSize);
        _stepTokens = new int[options.StepTokenBudget];
        _hostLogits = new float[options.MaxSequences * c.VocabSize];
        _rawRow = new float[c.VocabSize];
    }

    public KvBlockManager Blocks { get; }
    public KvPoolShape PoolShape => _pool.Shape;
    public int Waiting => _waiting.Count;
    public int Running => _running.Count;
    public long Steps { get; private set; }
    public long StepRows { get; private set; }
    public long GeneratedTokens { get; private set; }
    public long Preemptions { get; private set; }

    /// <summary>Most tokens a sequence can have: the model's context plus the token sampled after its last position.</summary>
    public int MaxSequenceTokens => _model.Config.MaxPositions + 1;

    /// <summary>Queues a sequence (its arrival order is its place in line).</summary>
    public void Enqueue(ServingSequence sequence)
    {
        int prompt = sequence.Request.Prompt.Count;
        if (prompt > _model.Config.MaxPositions) throw new ContextOverflowException(_model.Config.MaxPositions, prompt);
        if (prompt > Blocks.TotalBlocks * Blocks.BlockSize)
            throw new ArgumentException($"a prompt of {prompt} tokens does not fit the KV memory ({Blocks.TotalBlocks * Blocks.BlockSize} positions); give the server more KV memory", nameof(sequence));
        InsertWaiting(sequence);
    }

    /// <summary>Runs one step; returns the number of rows it ran (0 when there was nothing to do).</summary>
    public int Step()
    {
        RemoveCancelled();
        Admit();
        Plan();
        if (_plan.Rows == 0) return 0;
        BuildLayout();
        try
        {
            var logits = _model.Forward(_buffers, _pool, _layout, _stepTokens.AsSpan(0, _layout.Rows));
            _model.Backend.Download(logits, _hostLogits.AsSpan(0, _layout.LogitRowCount * _model.Config.VocabSize));
        }
        catch (Exception e)
        {
            // A failed step fails the requests in it, not the server.
            for (int i = 0; i < _plan.Count; i++) Finish(_plan[i].Sequence, error: e);
            return _plan.Rows;
        }
        Steps++;
        StepRows += _plan.Rows;
        Advance();
        return _plan.Rows;
    }

    /// <summary>Ends every sequence, running or waiting, as cancelled.</summary>
    public void CancelAll()
    {
        foreach (var s in _running.Concat(_waiting).ToList()) Finish(s, FinishReason.Cancelled);
    }

    private void RemoveCancelled()
    {
        for (int i = _waiting.Count - 1; i >= 0; i--)
            if (_waiting[i].CancelRequested) Finish(_waiting[i], FinishReason.Cancelled);
        for (int i = _running.Count - 1; i >= 0; i--)
            if (_running[i].CancelRequested) Finish(_running[i], FinishReason.Cancelled);
    }

    private void Admit()
    {
        while (_running.Count < _options.MaxSequences && _waiting.Count > 0)
        {
            var s = _waiting[0];
            // Reuse the longest cached prefix, but always compute the last token: its logits are needed.
            int cached = s.Blocks.AcquirePrefix(s.Tokens, s.Length - 1);
            // The whole pending run gets its blocks now, so a started prefill never waits for memory, and one
            // spare block stays for each running sequence's next decode: admitting into the last free blocks
            // would only preempt the newcomer again at the next step (thrashing recomputation).
            int needed = (s.Length + Blocks.BlockSize - 1) / Blocks.BlockSize - s.Blocks.Count;
            if (needed + _running.Count > Blocks.AvailableBlocks || !s.Blocks.TryReserve(s.Length))
            {
                s.Blocks.ReleaseAll();
                return; // first come, first served: the head of the line waits for blocks
            }
            s.Computed = cached;
            _waiting.RemoveAt(0);
            _running.Add(s);
            if (!s.Started)
            {
                s.Started = true;
                s.Stream.Start(cached);
            }
        }
    }

    private void Plan()
    {
        _plan.Clear();
        int budget = _options.StepTokenBudget;
        // Decode rows first: every running sequence with one pending token advances every step.
        for (int i = 0; i < _running.Count; i++)
        {
            var s = _running[i];
            if (s.Pending != 1) continue;
            if (!ReserveOrPreempt(s)) { i--; continue; } // s left the running list
            _plan.Add(s, 1);
            budget--;
        }
        // Prompt chunks (and recomputation after preemption) fill the rest, oldest first.
        foreach (var s in _running)
        {
            if (budget == 0) break;
            if (s.Pending <= 1) continue;
            int rows = Math.Min(s.Pending, budget);
            _plan.Add(s, rows);
            budget -= rows;
        }
    }

    /// <summary>
    /// Gets a block for the decode position of <paramref name="s"/>, taking the newest running sequence's
    /// blocks while there are none. Returns false when <paramref name="s"/> itself had to give way.
    /// </summary>
    private bool ReserveOrPreempt(ServingSequence s)
    {
        while (!s.Blocks.TryReserve(s.Computed + 1))
        {
            var victim = _running[^1];
            if (ReferenceEquals(victim, s) && _running.Count == 1)
            {
                // Alone and still out of memory: the pool cannot hold this sequence any longer.
                Finish(s, FinishReason.ContextFull);
                return false;
            }
            Preempt(victim);
            if (ReferenceEquals(victim, s)) return false;
        }
        return true;
    }

    private void Preempt(ServingSequence s)
    {
        s.Blocks.ReleaseAll();
        s.Computed = 0;
        s.Preemptions++;
        Preemptions++;
        _running.Remove(s);
        InsertWaiting(s);
    }

    private void BuildLayout()
    {
        _layout.Clear();
        int row = 0;
        for (int i = 0; i < _plan.Count; i++)
        {
            var (s, rows) = _plan[i];
            int table = _layout.AddBlockTable(s.Blocks.Table);
            var tokens = s.Tokens;
            for (int r = 0; r < rows; r++)
            {
                int position = s.Computed + r;
                bool last = position == s.Length - 1;
                _layout.AddRow(table, position, _model.FirstAttendedPosition(position), wantLogits: last);
                _stepTokens[row++] = tokens[position];
            }
        }
    }

    private void Advance()
    {
        int vocab = _model.Config.VocabSize;
        int logitRow = 0;
        for (int i = 0; i < _plan.Count; i++)
        {
            var (s, rows) = _plan[i];
            s.Computed += rows;
            s.Blocks.PublishFull(s.Tokens[..s.Computed]);
            if (s.Computed < s.Length) continue; // a middle chunk of a prompt: no token yet
            var logits = _hostLogits.AsSpan(logitRow++ * vocab, vocab);
            Emit(s, logits);
        }
    }

    private void Emit(ServingSequence s, Span<float> logits)
    {
        TokenLogprob? logprob = null;
        IReadOnlyList<TokenLogprob>? top = null;
        float logSumExp = 0;
        if (s.Request.TopLogprobs is { } count)
        {
            // Log-probabilities of the model's own distribution, before penalties and temperature.
            logSumExp = TokenLogprobs.LogSumExp(logits);
            if (count > 0) top = TokenLogprobs.Top(logits, logSumExp, count);
        }
        // The sampler rewrites the row (penalties, temperature); keep the model's logits for the chosen token.
        if (s.Request.TopLogprobs is not null) logits.CopyTo(_rawRow);
        int token = s.Sampler.Sample(logits, s.Tokens, s.GeneratedTokens);
        if (s.Request.TopLogprobs is not null) logprob = new TokenLogprob(token, _rawRow[token] - logSumExp);

        if (s.Request.StopTokens.Contains(token)) { Finish(s, FinishReason.Stop); return; }
        s.Append(token);
        GeneratedTokens++;
        s.Stream.Write(new GeneratedToken(token, logprob, top));
        if (s.Generated >= s.Request.MaxTokens) Finish(s, FinishReason.Length);
        else if (s.Length >= MaxSequenceTokens) Finish(s, FinishReason.ContextFull);
    }

    private void Finish(ServingSequence s, FinishReason reason = FinishReason.Cancelled, Exception? error = null)
    {
        s.Blocks.ReleaseAll();
        _running.Remove(s);
        _waiting.Remove(s);
        s.Registration.Dispose();
        if (error is not null) s.Stream.Fail(error);
        else s.Stream.Finish(reason);
    }

    private void InsertWaiting(ServingSequence s)
    {
        int at = _waiting.Count;
        while (at > 0 && _waiting[at - 1].Arrival > s.Arrival) at--;
        _waiting.Insert(at, s);
    }

    public void Dispose()
    {
        CancelAll();
        _pool.Dispose();
        _buffers.Dispose();
    }
}
