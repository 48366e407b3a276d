namespace Transformer.Distillation.Parquet;

/// <summary>
/// Parquet repetition levels of the export's list columns: a row per window, each window <c>windowPositions</c>
/// positions, each position one value (list&lt;T&gt;) or <c>perPosition</c> entries (list&lt;list&lt;T&gt;&gt;).
/// A level says where a value starts: 0 a new row, 1 a new position in the row, 2 the next entry of a position.
/// </summary>
internal static class ListLevels
{
    public static int[] Repetition(int positions, int perPosition, int windowPositions)
    {
        var levels = new int[(long)positions * perPosition];
        int nested = perPosition == 1 ? 1 : 2;
        for (int i = 0; i < positions; i++)
        {
            int at = i * perPosition;
            levels[at] = i % windowPositions == 0 ? 0 : 1;
            for (int j = 1; j < perPosition; j++) levels[at + j] = nested;
        }
        return levels;
    }
}
