using FsCheck;
using FsCheck.Fluent;
using Transformer.Kernels.Cpu.Threading;

namespace Transformer.Kernels.Tests;

public sealed class WorkerPoolTests
{
    private sealed class CountingWork(int count) : IParallelWork
    {
        public readonly int[] Hits = new int[count];
        public void Execute(int index) => Interlocked.Increment(ref Hits[index]);
    }

    private sealed class FailingWork(int failAt) : IParallelWork
    {
        public void Execute(int index)
        {
            if (index == failAt) throw new InvalidOperationException($"item {index} failed");
        }
    }

    [Fact]
    public void Every_item_runs_exactly_once()
    {
        var cases = from threads in PropertyCoverage.Size(1, 4)
                    from count in PropertyCoverage.Size(0, 499)
                    from repeats in PropertyCoverage.Size(1, 5)
                    select (Threads: threads, Count: count, Repeats: repeats);

        var seen = PropertyCoverage.Check(cases, 100, c =>
        {
            using var pool = new WorkerPool(c.Threads);
            // Repeated dispatches on one pool exercise the spin/sleep hand-over between ops.
            return Enumerable.Range(0, c.Repeats).All(_ =>
            {
                var work = new CountingWork(c.Count);
                pool.Run(c.Count, work);
                return work.Hits.All(h => h == 1);
            });
        });

        PropertyCoverage.AssertReaches(seen.Select(c => c.Threads), 1, 4, "threads");
        PropertyCoverage.AssertReaches(seen.Select(c => c.Count), 0, 499, "items");
        PropertyCoverage.AssertReaches(seen.Select(c => c.Repeats), 1, 5, "dispatches");
    }

    [Fact]
    public void A_failing_item_is_rethrown_and_the_pool_keeps_working()
    {
        using var pool = new WorkerPool(3);
        var error = Assert.Throws<InvalidOperationException>(() => pool.Run(100, new FailingWork(37)));
        Assert.Equal("item 37 failed", error.Message);

        var work = new CountingWork(64);
        pool.Run(64, work);
        Assert.All(work.Hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void Workers_that_fell_asleep_wake_for_the_next_dispatch()
    {
        using var pool = new WorkerPool(2);
        Thread.Sleep(50); // long past the spin phase
        var work = new CountingWork(1000);
        pool.Run(1000, work);
        Assert.All(work.Hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void A_disposed_pool_refuses_work()
    {
        var pool = new WorkerPool(2);
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.Run(4, new CountingWork(4)));
    }
}
