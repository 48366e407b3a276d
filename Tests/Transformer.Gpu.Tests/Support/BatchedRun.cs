using Transformer.Kernels.Backend;
using Transformer.Runtime.Llama;

namespace Transformer.Gpu.Tests.Support;

/// <summary>
/// Runs several token sequences through <see cref="LlamaModel.Forward"/> together over one shared KV
/// pool, the way the serving scheduler does: each step takes a chunk of random size (possibly none) from
/// every unfinished sequence, the rows of a step are shuffled across sequences, and every sequence's
/// blocks are drawn from a shuffled permutation of the pool. Returns every position's logits of every
/// sequence, to compare with the sequence run alone.
/// </summary>
public static class BatchedRun
{
    /// <summary>Logits [sequence][position · vocab] after running <paramref name="sequences"/> in seeded random steps of up to <paramref name="maxChunk"/> rows per sequence.</summary>
    public static float[][] Logits(LlamaModel model, int[][] sequences, int blockSize, KvDType type, int maxChunk, int seed)
    {
        var random = new Random(seed);
        int vocab = model.Config.VocabSize;
        int[] blocksNeeded = sequences.Select(s => (s.Length + blockSize - 1) / blockSize).ToArray();
        int[] physical = Enumerable.Range(0, blocksNeeded.Sum() + 2).ToArray();
        random.Shuffle(physical);
        var tables = new int[sequences.Length][];
        for (int s = 0, taken = 0; s < sequences.Length; taken += blocksNeeded[s], s++) tables[s] = physical.AsSpan(taken, blocksNeeded[s]).ToArray();

        using var pool = model.CreateKvPool(physical.Length, blockSize, type);
        int maxRows = sequences.Length * maxChunk;
        using var buffers = model.CreateStepBuffers(maxRows, maxRows);
        var step = new StepLayout(blockSize);
        var results = sequences.Select(s => new float[s.Length * vocab]).ToArray();
        var done = new int[sequences.Length];
        var rows = new List<(int Sequence, int Position)>();
        var logits = new float[maxRows * vocab];
        while (done.Where((d, s) => d < sequences[s].Length).Any())
        {
            rows.Clear();
            for (int s = 0; s < sequences.Length; s++)
            {
                int take = Math.Min(random.Next(0, maxChunk + 1), sequences[s].Length - done[s]);
                for (int p = done[s]; p < done[s] + take; p++) rows.Add((s, p));
                done[s] += take;
            }
            if (rows.Count == 0) continue;
            var order = rows.ToArray();
            random.Shuffle(order);

            step.Clear();
            var tableStarts = tables.Select(t => step.AddBlockTable(t)).ToArray();
            var tokens = new int[order.Length];
            for (int r = 0; r < order.Length; r++)
            {
                var (s, p) = order[r];
                step.AddRow(tableStarts[s], p, 0, wantLogits: true);
                tokens[r] = sequences[s][p];
            }
            var output = model.Forward(buffers, pool, step, tokens);
            model.Backend.Download(output, logits.AsSpan(0, order.Length * vocab));
            for (int r = 0; r < order.Length; r++)
                logits.AsSpan(r * vocab, vocab).CopyTo(results[order[r].Sequence].AsSpan(order[r].Position * vocab));
        }
        return results;
    }

    /// <summary>Asserts two logit arrays are the same bits, naming the first position that differs.</summary>
    public static void AssertBitwiseEqual(float[] expected, float[] actual, int vocab, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: position {i / vocab}, logit {i % vocab}: {expected[i]:R} alone, {actual[i]:R} here");
        }
    }
}
