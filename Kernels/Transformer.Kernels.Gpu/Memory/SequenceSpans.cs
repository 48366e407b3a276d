namespace Transformer.Kernels.Gpu.Memory;

/// <summary>
/// The first and last row of each row's sequence in a batch of packed sequences, as the encoder attention kernel
/// reads them (spans[2r], spans[2r + 1]), after checking the lengths tile the rows exactly.
/// </summary>
internal static class SequenceSpans
{
    /// <summary>The spans of <paramref name="rows"/> rows holding sequences of <paramref name="lengths"/> one after another.</summary>
    /// <exception cref="ArgumentException">A length is not positive, or the lengths do not add up to the rows.</exception>
    public static int[] Of(ReadOnlySpan<int> lengths, int rows)
    {
        var spans = new int[2 * rows];
        int row = 0;
        foreach (int length in lengths)
        {
            if (length <= 0) throw new ArgumentException($"bidirectional attention: a sequence of {length} rows");
            if (length > rows - row) throw new ArgumentException($"bidirectional attention: sequences of {(long)row + length}+ rows for a tensor of {rows}");
            for (int r = row; r < row + length; r++) (spans[2 * r], spans[2 * r + 1]) = (row, row + length - 1);
            row += length;
        }
        if (row != rows) throw new ArgumentException($"bidirectional attention: sequences of {row} rows for a tensor of {rows}");
        return spans;
    }
}
