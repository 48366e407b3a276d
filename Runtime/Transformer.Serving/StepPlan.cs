namespace Transformer.Serving;

/// <summary>What one step runs: for each chosen sequence, how many of its pending tokens, starting where its KV ends.</summary>
internal sealed class StepPlan
{
    private readonly List<(ServingSequence Sequence, int Rows)> _entries = [];

    public int Rows { get; private set; }
    public int Count => _entries.Count;
    public (ServingSequence Sequence, int Rows) this[int index] => _entries[index];

    public void Clear()
    {
        _entries.Clear();
        Rows = 0;
    }

    public void Add(ServingSequence sequence, int rows)
    {
        _entries.Add((sequence, rows));
        Rows += rows;
    }
}
