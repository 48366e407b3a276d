using System.Runtime.ExceptionServices;

namespace Transformer.Kernels.Quantized.Ggml;

/// <summary>
/// Runs a block quantizer over a long span of whole blocks on several threads. Every ggml block is quantized from its
/// own values alone, so splitting the span at block boundaries gives the serial bytes whatever the split.
/// </summary>
internal static class GgmlParallelBlocks
{
    /// <summary>Quantizes whole blocks of <paramref name="source"/> into <paramref name="blocks"/>.</summary>
    public delegate void Encoder(ReadOnlySpan<float> source, Span<byte> blocks);

    /// <summary>Fewer blocks than this per task and the task costs more than the split saves (a K-quant block takes microseconds).</summary>
    public const int MinBlocksPerTask = 64;

    /// <summary>
    /// <paramref name="encode"/> over <paramref name="count"/> blocks, in ranges on the thread pool when there are at
    /// least two tasks' worth, else on this thread. An exception from a range (bad input) is rethrown as itself.
    /// </summary>
    public static unsafe void Run(ReadOnlySpan<float> source, Span<byte> blocks, int count, int blockSize, int blockBytes, Encoder encode)
    {
        int tasks = Math.Min(count / MinBlocksPerTask, 4 * Environment.ProcessorCount);
        if (tasks < 2)
        {
            encode(source, blocks);
            return;
        }
        fixed (float* sourceStart = source)
        fixed (byte* blocksStart = blocks)
        {
            // Pinned for the whole loop, which returns only when every range is done.
            nint from = (nint)sourceStart, to = (nint)blocksStart;
            try
            {
                Parallel.For(0, tasks, task =>
                {
                    int first = (int)((long)count * task / tasks), end = (int)((long)count * (task + 1) / tasks);
                    var values = new ReadOnlySpan<float>((float*)from + (long)first * blockSize, (end - first) * blockSize);
                    var bytes = new Span<byte>((byte*)to + (long)first * blockBytes, (end - first) * blockBytes);
                    encode(values, bytes);
                });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            }
        }
    }
}
