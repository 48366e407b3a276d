using System.Runtime.ExceptionServices;

namespace Transformer.Kernels.Cpu.Threading;

/// <summary>
/// A fixed set of worker threads for the per-op parallelism of inference. A decode step dispatches
/// hundreds of short ops, so workers spin briefly for the next op before sleeping, and the calling
/// thread takes items too. Items are claimed one at a time from a shared counter, which balances
/// uneven items. One dispatch at a time: the pool belongs to one backend.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    // Spin iterations before a worker sleeps: long enough to bridge the gap between the ops of one
    // token (microseconds), short enough not to steal a core from other work between tokens.
    private const int SpinsBeforeSleep = 2000;

    private readonly Thread[] _workers;
    // One wake signal and sleep flag per worker: a shared semaphore would let a worker that just
    // finished consume the permit meant for one still asleep, which then misses the dispatch.
    private readonly SemaphoreSlim[] _wake;
    private readonly int[] _asleep;
    private IParallelWork? _work;
    private int _count;
    private int _next;
    private int _busyWorkers;
    private int _generation;
    private volatile bool _disposed;
    private ExceptionDispatchInfo? _failure;

    /// <summary>Creates a pool that runs work on <paramref name="threads"/> threads, the caller's included.</summary>
    public WorkerPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        _workers = new Thread[threads - 1];
        _wake = new SemaphoreSlim[threads - 1];
        _asleep = new int[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            int worker = i;
            _wake[i] = new SemaphoreSlim(0);
            _workers[i] = new Thread(() => WorkerLoop(worker)) { IsBackground = true, Name = $"transformer-worker-{i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>Threads that execute items, the caller's included.</summary>
    public int Threads { get; }

    /// <summary>Runs items [0, count) of the work and returns when all are done; rethrows the first failure.</summary>
    public void Run(int count, IParallelWork work)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count <= 0) return;
        if (count == 1 || _workers.Length == 0)
        {
            for (int i = 0; i < count; i++) work.Execute(i);
            return;
        }

        _work = work;
        _count = count;
        _next = 0;
        _failure = null;
        Volatile.Write(ref _busyWorkers, _workers.Length);
        Interlocked.Increment(ref _generation); // publishes the fields above to the workers
        WakeSleepers();

        Drain(work);
        var wait = new SpinWait();
        while (Volatile.Read(ref _busyWorkers) != 0) wait.SpinOnce(sleep1Threshold: -1);
        _work = null;
        _failure?.Throw();
    }

    private void Drain(IParallelWork work)
    {
        try
        {
            for (int i = Interlocked.Increment(ref _next) - 1; i < _count; i = Interlocked.Increment(ref _next) - 1)
                work.Execute(i);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
            Volatile.Write(ref _next, _count); // the others stop claiming items
        }
    }

    private void WakeSleepers()
    {
        for (int i = 0; i < _wake.Length; i++)
            if (Interlocked.Exchange(ref _asleep[i], 0) == 1) _wake[i].Release();
    }

    private void WorkerLoop(int worker)
    {
        // Start from the pool's first generation, not the current one: a dispatch may already have
        // been published before this thread got to run, and it must not be missed.
        int seen = 0;
        while (true)
        {
            seen = WaitForGeneration(worker, seen);
            if (_disposed) return;
            Drain(_work!);
            Interlocked.Decrement(ref _busyWorkers);
        }
    }

    private int WaitForGeneration(int worker, int seen)
    {
        for (int spin = 0; spin < SpinsBeforeSleep; spin++)
        {
            int current = Volatile.Read(ref _generation);
            if (current != seen || _disposed) return current;
            Thread.SpinWait(20);
        }
        while (true)
        {
            Volatile.Write(ref _asleep[worker], 1);
            // Re-check after announcing the sleep, so a dispatch published in between is not missed.
            int current = Volatile.Read(ref _generation);
            if (current != seen || _disposed)
            {
                // If the dispatcher already took the flag it has released (or will release) our signal: consume it.
                if (Interlocked.Exchange(ref _asleep[worker], 0) == 0) _wake[worker].Wait();
                return current;
            }
            _wake[worker].Wait();
            current = Volatile.Read(ref _generation);
            if (current != seen || _disposed) return current;
        }
    }

    /// <summary>Stops the workers.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Interlocked.Increment(ref _generation);
        WakeSleepers();
        foreach (var worker in _workers) worker.Join();
        foreach (var wake in _wake) wake.Dispose();
    }
}
