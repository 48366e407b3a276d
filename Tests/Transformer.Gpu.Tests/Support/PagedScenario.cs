using Transformer.Kernels.Backend;
using Transformer.Tests.Shared;

namespace Transformer.Gpu.Tests.Support;

/// <summary>One sequence of a paged scenario: positions already cached, rows in the step, optional sliding window.</summary>
public sealed record SequenceSpec(int History, int Rows, int? Window);

/// <summary>
/// A step over several sequences in one paged KV pool, built from a seed: each sequence's blocks are
/// physical blocks drawn from a shuffled permutation of the pool (so neighbours in a table are not
/// neighbours in memory, and sequences interleave), the step's rows are shuffled across sequences, and
/// with a sliding window the table entries of blocks wholly before every row's window are −1 (freed), so
/// a kernel that read them would fail. The history (positions cached before the step) is written by its
/// own StoreKv step, then the step writes its rows and attends.
/// </summary>
public sealed class PagedScenario
{
    private readonly float[][] _keys, _values;     // per sequence: [position, kvHeads·headDim]
    private readonly int[] _rowSequence;           // the sequence of each step row

    /// <summary>Builds the scenario; <paramref name="spareBlocks"/> unused blocks are mixed into the pool.</summary>
    public PagedScenario(IReadOnlyList<SequenceSpec> sequences, int blockSize, KvDType type, int kvHeads, int heads, int headDim,
        int layers, int spareBlocks, int seed)
    {
        var random = new Random(seed);
        Sequences = sequences;
        KvColumns = kvHeads * headDim;
        QueryColumns = heads * headDim;
        int[] blocksNeeded = sequences.Select(s => (s.History + s.Rows + blockSize - 1) / blockSize).ToArray();
        int totalBlocks = blocksNeeded.Sum() + spareBlocks;
        Shape = new KvPoolShape(layers, totalBlocks, blockSize, kvHeads, headDim, type);
        int[] physical = Enumerable.Range(0, totalBlocks).ToArray();
        random.Shuffle(physical);

        History = new StepLayout(blockSize);
        Step = new StepLayout(blockSize);
        _keys = new float[sequences.Count][];
        _values = new float[sequences.Count][];
        var stepRows = new List<(int Sequence, int Position)>();
        var historyRows = new List<(int Sequence, int Position)>();
        var stepTables = new int[sequences.Count];
        int taken = 0;
        for (int s = 0; s < sequences.Count; s++)
        {
            var spec = sequences[s];
            int length = spec.History + spec.Rows;
            _keys[s] = TestArrays.Uniform(random.Next(), length * KvColumns, 2f);
            _values[s] = TestArrays.Uniform(random.Next(), length * KvColumns);
            int[] table = physical.AsSpan(taken, blocksNeeded[s]).ToArray();
            taken += blocksNeeded[s];

            int historyTable = History.AddBlockTable(table);
            for (int p = 0; p < spec.History; p++)
            {
                History.AddRow(historyTable, p, 0, wantLogits: false);
                historyRows.Add((s, p));
            }
            // Blocks before the earliest window start of the step's rows are no longer needed: freed.
            int firstNeeded = AttendFrom(spec, spec.History) / blockSize;
            for (int logical = 0; logical < firstNeeded; logical++) table[logical] = -1;
            stepTables[s] = Step.AddBlockTable(table);
            for (int p = spec.History; p < length; p++) stepRows.Add((s, p));
        }
        var order = stepRows.ToArray();
        random.Shuffle(order);
        _rowSequence = new int[order.Length];
        for (int r = 0; r < order.Length; r++)
        {
            var (s, p) = order[r];
            Step.AddRow(stepTables[s], p, AttendFrom(sequences[s], p), wantLogits: true);
            _rowSequence[r] = s;
        }
        HistoryKeys = Gather(_keys, historyRows);
        HistoryValues = Gather(_values, historyRows);
        StepKeys = Gather(_keys, order);
        StepValues = Gather(_values, order);
        Queries = TestArrays.Uniform(random.Next(), order.Length * QueryColumns, 2f);
    }

    /// <summary>The sequences.</summary>
    public IReadOnlyList<SequenceSpec> Sequences { get; }
    /// <summary>The pool's shape.</summary>
    public KvPoolShape Shape { get; }
    /// <summary>Rows writing the cached positions before the step.</summary>
    public StepLayout History { get; }
    /// <summary>The step under test.</summary>
    public StepLayout Step { get; }
    /// <summary>kvHeads · headDim.</summary>
    public int KvColumns { get; }
    /// <summary>heads · headDim.</summary>
    public int QueryColumns { get; }
    /// <summary>Keys and values of the history rows, [History.Rows, KvColumns].</summary>
    public float[] HistoryKeys { get; }
    /// <inheritdoc cref="HistoryKeys"/>
    public float[] HistoryValues { get; }
    /// <summary>Keys and values of the step's rows, [Step.Rows, KvColumns].</summary>
    public float[] StepKeys { get; }
    /// <inheritdoc cref="StepKeys"/>
    public float[] StepValues { get; }
    /// <summary>Queries of the step's rows, [Step.Rows, QueryColumns].</summary>
    public float[] Queries { get; }

    /// <summary>Writes the history and the step's keys and values to <paramref name="pool"/> (layer <paramref name="layer"/>) on a backend.</summary>
    public void Store(IBackend backend, KvPool pool, int layer)
    {
        if (History.Rows > 0)
        {
            using var k = backend.Upload(HistoryKeys, History.Rows, KvColumns);
            using var v = backend.Upload(HistoryValues, History.Rows, KvColumns);
            backend.StoreKv(pool, layer, History, k, v);
        }
        using var stepK = backend.Upload(StepKeys, Step.Rows, KvColumns);
        using var stepV = backend.Upload(StepValues, Step.Rows, KvColumns);
        backend.StoreKv(pool, layer, Step, stepK, stepV);
    }

    /// <summary>Stores, then runs the step's attention on a backend and returns [Step.Rows, QueryColumns].</summary>
    public float[] RunAttention(IBackend backend, int layer)
    {
        using var pool = backend.CreateKvPool(Shape);
        Store(backend, pool, layer);
        using var q = backend.Upload(Queries, Step.Rows, QueryColumns);
        using var output = backend.Allocate(Step.Rows, QueryColumns);
        backend.Attention(q, pool, layer, Step, output);
        var result = new float[Step.Rows * QueryColumns];
        backend.Download(output, result);
        return result;
    }

    /// <summary>
    /// The scalar reference: each row attends over its own sequence's positions [AttendFrom, Position],
    /// keys and values rounded through <see cref="Half"/> when the pool stores F16.
    /// </summary>
    public float[] ReferenceAttention()
    {
        int d = Shape.HeadDim, heads = QueryColumns / d, group = heads / Shape.KvHeads;
        var expected = new float[Step.Rows * QueryColumns];
        for (int r = 0; r < Step.Rows; r++)
        {
            int s = _rowSequence[r], from = Step.AttendFrom[r], length = Step.Positions[r] - from + 1;
            for (int h = 0; h < heads; h++)
            {
                int kvHead = h / group;
                var keys = new float[length * d];
                var values = new float[length * d];
                for (int p = 0; p < length; p++)
                    for (int i = 0; i < d; i++)
                    {
                        int at = (from + p) * KvColumns + kvHead * d + i;
                        keys[p * d + i] = Stored(_keys[s][at]);
                        values[p * d + i] = Stored(_values[s][at]);
                    }
                Transformer.Kernels.Cpu.Ops.Attention.Reference(Queries.AsSpan(r * QueryColumns + h * d, d), keys, values, length,
                    expected.AsSpan(r * QueryColumns + h * d, d));
            }
        }
        return expected;
    }

    /// <summary>A value as the pool holds it.</summary>
    public float Stored(float value) => Shape.Type == KvDType.F16 ? (float)(Half)value : value;

    private static int AttendFrom(SequenceSpec spec, int position) => spec.Window is { } w ? Math.Max(0, position - w + 1) : 0;

    private float[] Gather(float[][] source, IReadOnlyList<(int Sequence, int Position)> rows)
    {
        var result = new float[rows.Count * KvColumns];
        for (int r = 0; r < rows.Count; r++)
            Array.Copy(source[rows[r].Sequence], rows[r].Position * KvColumns, result, r * KvColumns, KvColumns);
        return result;
    }
}
