namespace Transformer.Kernels.Backend;

/// <summary>
/// Where every row of one model step sits. A step is a set of rows from one or more sequences (a decode
/// token of each running sequence, chunks of waiting prompts); row r is the token at position
/// <c>Positions[r]</c> of its sequence, writes its key and value to pool slot <c>Slots[r]</c>
/// (<c>block · BlockSize + offset</c>) and attends to its sequence's positions
/// <c>[AttendFrom[r], Positions[r]]</c>, which live in the blocks listed by the sequence's block table:
/// logical block i of the row's sequence is physical block <c>BlockTables[TableStart[r] + i]</c>.
/// Rows of one sequence share one table. <see cref="LogitRows"/> lists the rows whose next-token
/// logits are wanted, in the order the logits come out.
/// </summary>
/// <remarks>
/// Built on the host once per step and reused: the arrays only grow, so a steady decode loop allocates
/// nothing. A device backend uploads it once per step (keyed by <see cref="Version"/>) and reuses it for
/// every layer.
/// </remarks>
public sealed class StepLayout
{
    private int[] _positions = new int[16], _slots = new int[16], _tableStart = new int[16], _attendFrom = new int[16];
    private int[] _logitRows = new int[16], _blockTables = new int[64];

    /// <summary>Creates an empty layout for a pool of blocks of <paramref name="blockSize"/> positions.</summary>
    public StepLayout(int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        BlockSize = blockSize;
    }

    /// <summary>Positions per KV block.</summary>
    public int BlockSize { get; }

    /// <summary>Rows in the step.</summary>
    public int Rows { get; private set; }

    /// <summary>Rows whose logits are wanted.</summary>
    public int LogitRowCount { get; private set; }

    /// <summary>Entries used in <see cref="BlockTables"/>.</summary>
    public int BlockTableLength { get; private set; }

    /// <summary>Longest attended span of any row: the scratch a backend needs for scores.</summary>
    public int LongestAttention { get; private set; }

    /// <summary>Changes whenever the layout is rebuilt, so a device copy knows when it is stale.</summary>
    public long Version { get; private set; }

    /// <summary>Position of each row in its sequence.</summary>
    public ReadOnlySpan<int> Positions => _positions.AsSpan(0, Rows);
    /// <summary>Pool slot each row's key and value are written to.</summary>
    public ReadOnlySpan<int> Slots => _slots.AsSpan(0, Rows);
    /// <summary>Offset of each row's block table in <see cref="BlockTables"/>.</summary>
    public ReadOnlySpan<int> TableStart => _tableStart.AsSpan(0, Rows);
    /// <summary>First position each row attends to (0, or the start of a sliding window).</summary>
    public ReadOnlySpan<int> AttendFrom => _attendFrom.AsSpan(0, Rows);
    /// <summary>The block tables of the step's sequences, one after another.</summary>
    public ReadOnlySpan<int> BlockTables => _blockTables.AsSpan(0, BlockTableLength);
    /// <summary>Rows whose logits are wanted, in output order.</summary>
    public ReadOnlySpan<int> LogitRows => _logitRows.AsSpan(0, LogitRowCount);

    /// <summary>Empties the layout for the next step.</summary>
    public void Clear()
    {
        Rows = LogitRowCount = BlockTableLength = LongestAttention = 0;
        Version++;
    }

    /// <summary>
    /// Adds a sequence's block table (physical block of each logical block, in order) and returns the
    /// offset its rows refer to.
    /// </summary>
    public int AddBlockTable(ReadOnlySpan<int> blocks)
    {
        int start = BlockTableLength;
        Grow(ref _blockTables, start + blocks.Length);
        blocks.CopyTo(_blockTables.AsSpan(start));
        BlockTableLength += blocks.Length;
        Version++;
        return start;
    }

    /// <summary>
    /// Adds a row: the token at <paramref name="position"/> of the sequence whose table starts at
    /// <paramref name="tableStart"/>, attending from <paramref name="attendFrom"/>. Its KV slot comes
    /// from the table. Returns the row's index.
    /// </summary>
    public int AddRow(int tableStart, int position, int attendFrom, bool wantLogits)
    {
        if (position < 0 || attendFrom < 0 || attendFrom > position)
            throw new ArgumentOutOfRangeException(nameof(attendFrom), $"a row at position {position} cannot attend from {attendFrom}");
        int logical = position / BlockSize;
        if (tableStart < 0 || tableStart + logical >= BlockTableLength)
            throw new ArgumentOutOfRangeException(nameof(position), $"position {position} needs block {logical} of the table at {tableStart}, which has only {BlockTableLength - tableStart} entries left");
        int block = _blockTables[tableStart + logical];
        if (block < 0) throw new ArgumentException($"position {position} falls in logical block {logical}, which has no physical block");

        int row = Rows;
        Grow(ref _positions, row + 1);
        Grow(ref _slots, row + 1);
        Grow(ref _tableStart, row + 1);
        Grow(ref _attendFrom, row + 1);
        _positions[row] = position;
        _slots[row] = block * BlockSize + position % BlockSize;
        _tableStart[row] = tableStart;
        _attendFrom[row] = attendFrom;
        Rows = row + 1;
        LongestAttention = Math.Max(LongestAttention, position - attendFrom + 1);
        if (wantLogits)
        {
            Grow(ref _logitRows, LogitRowCount + 1);
            _logitRows[LogitRowCount++] = row;
        }
        Version++;
        return row;
    }

    private static void Grow(ref int[] array, int needed)
    {
        if (array.Length < needed) Array.Resize(ref array, Math.Max(needed, array.Length * 2));
    }
}
