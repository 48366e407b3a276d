using Transformer.Kernels.Backend;
using Transformer.Runtime;

namespace Transformer.Serving;

/// <summary>
/// Serves many generation requests on one model at once: continuous batching over a paged, prefix-cached
/// KV pool, on a thread of its own. <see cref="Submit"/> may be called from any thread; tokens arrive on
/// each request's <see cref="GenerationStream"/>. A request at temperature 0 or with a seed produces the
/// same tokens and log-probabilities whatever else runs beside it.
/// </summary>
public sealed class Scheduler : IDisposable
{
    private readonly SchedulerCore _core;
    private readonly Lock _gate = new();
    private readonly Queue<ServingSequence> _incoming = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _loop;
    private volatile bool _stopping;
    private volatile SchedulerSnapshot _snapshot = new();
    private long _arrivals;
    private int _inFlight;
    private volatile Exception? _loopFailure;

    /// <summary>Sizes the KV pool and starts the scheduling thread. The model must outlive the scheduler.</summary>
    public Scheduler(DecoderModel model, ServingOptions? options = null)
    {
        Model = model;
        Options = options ?? new ServingOptions();
        _core = new SchedulerCore(model, Options);
        PublishSnapshot();
        _loop = new Thread(Loop) { IsBackground = true, Name = "transformer-scheduler" };
        _loop.Start();
    }

    /// <summary>The model being served.</summary>
    public DecoderModel Model { get; }

    /// <summary>The settings in force.</summary>
    public ServingOptions Options { get; }

    /// <summary>The KV pool's shape (blocks, block size, storage type).</summary>
    public KvPoolShape PoolShape => _core.PoolShape;

    /// <summary>The model's context: prompt and generated tokens of one request together fit in this plus one.</summary>
    public int ContextLength => Model.Config.MaxPositions;

    /// <summary>The state after the latest step.</summary>
    public SchedulerSnapshot Snapshot => _snapshot;

    /// <summary>
    /// Queues a request. Cancelling <paramref name="cancellation"/> ends it within one step, whether it is
    /// waiting, mid-prefill or mid-decode, and frees its blocks.
    /// </summary>
    /// <exception cref="QueueFullException">The waiting queue is full.</exception>
    /// <exception cref="ContextOverflowException">The prompt is longer than the model's context.</exception>
    /// <exception cref="ArgumentException">The request is invalid (the message names the field).</exception>
    public GenerationStream Submit(GenerationRequest request, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate(Model.Config.VocabSize);
        if (_loopFailure is { } failure) throw new InvalidOperationException("the scheduler stopped after an internal error", failure);
        ObjectDisposedException.ThrowIf(_stopping, this);
        ServingSequence sequence;
        lock (_gate)
        {
            // Every accepted request either runs (up to MaxSequences) or waits (up to QueueLimit).
            if (_inFlight >= Options.MaxSequences + Options.QueueLimit)
                throw new QueueFullException(_inFlight - Math.Min(_inFlight, Options.MaxSequences), Options.QueueLimit);
            sequence = new ServingSequence(request, _arrivals++, _core.Blocks);
            _inFlight++;
            _incoming.Enqueue(sequence);
        }
        sequence.Stream.Completion.ContinueWith(_ => { lock (_gate) _inFlight--; }, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        sequence.Registration = cancellation.Register(static state =>
        {
            var (s, wake) = ((ServingSequence, AutoResetEvent))state!;
            s.CancelRequested = true;
            wake.Set();
        }, (sequence, _wake));
        _wake.Set();
        return sequence.Stream;
    }

    private void Loop()
    {
        try
        {
            while (!_stopping)
            {
                DrainIncoming();
                int rows = _core.Step();
                PublishSnapshot();
                if (rows == 0) _wake.WaitOne(TimeSpan.FromSeconds(1));
            }
        }
        catch (Exception e)
        {
            // Only a bug in the scheduler itself gets here (a failed model step fails just its requests).
            _loopFailure = e;
        }
        finally
        {
            DrainIncoming();
            _core.CancelAll();
            PublishSnapshot();
        }
    }

    private void DrainIncoming()
    {
        lock (_gate)
        {
            while (_incoming.TryDequeue(out var s))
            {
                try { _core.Enqueue(s); }
                catch (Exception e) { s.Registration.Dispose(); s.Stream.Fail(e); }
            }
        }
    }

    private void PublishSnapshot()
    {
        var b = _core.Blocks;
        _snapshot = new SchedulerSnapshot
        {
            Waiting = _core.Waiting,
            Running = _core.Running,
            KvBlocksUsed = b.UsedBlocks,
            KvBlocksFree = b.AvailableBlocks,
            KvBlocksCached = b.CachedBlocks,
            KvBlocksTotal = b.TotalBlocks,
            PrefixLookupTokens = b.LookedUpTokens,
            PrefixHitTokens = b.HitTokens,
            GeneratedTokens = _core.GeneratedTokens,
            Steps = _core.Steps,
            Preemptions = _core.Preemptions,
        };
    }

    /// <summary>Stops the loop; requests still running or waiting end as cancelled.</summary>
    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        _wake.Set();
        _loop.Join();
        _core.Dispose();
        _wake.Dispose();
    }
}
