namespace Transformer.Tokenizers;

/// <summary>
/// SentencePiece's byte-fallback pieces are spelled <c>&lt;0xNN&gt;</c> (two upper-case hex digits). Both the
/// SentencePiece model and its llama2.c export store them that way; decoding turns them into the raw byte.
/// </summary>
internal static class BytePiece
{
    /// <summary>True when <paramref name="piece"/> is exactly <c>&lt;0xNN&gt;</c>; <paramref name="value"/> is then NN.</summary>
    public static bool TryParse(ReadOnlySpan<char> piece, out byte value)
    {
        value = 0;
        if (piece.Length != 6 || !piece.StartsWith("<0x", StringComparison.Ordinal) || piece[5] != '>')
        {
            return false;
        }

        return byte.TryParse(piece.Slice(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier,
            System.Globalization.CultureInfo.InvariantCulture, out value);
    }
}
