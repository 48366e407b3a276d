using System.Text;

namespace Transformer.Tokenizers.Tests;

/// <summary>Writes llama2.c tokenizer exports in the format of /work/shared/models/README.md.</summary>
internal static class Llama2cFiles
{
    public static byte[] Write(int maxTokenLength, IEnumerable<(byte[] Piece, float Score)> entries)
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        writer.Write(maxTokenLength);
        foreach ((byte[] piece, float score) in entries)
        {
            writer.Write(score);
            writer.Write(piece.Length);
            writer.Write(piece);
        }

        writer.Flush();
        return stream.ToArray();
    }

    /// <summary>The pieces after the byte pieces in <see cref="Synthetic"/>, from id 259 on, best score first.</summary>
    public static readonly string[] SyntheticMergedPieces =
        [" ", "e", "t", "h", "a", "n", "d", "é", "he", " t", " the", "an", " an", "nd", " and", "  "];

    /// <summary>
    /// A small vocabulary laid out like every llama2.c export: unk, BOS, EOS, the 256 byte pieces, then
    /// merged pieces with score −(id − 259). The merges are chosen so that common English merges several
    /// levels deep, and "é" and "  " exist as whole pieces.
    /// </summary>
    public static byte[] Synthetic()
    {
        string[] merged = SyntheticMergedPieces;
        var entries = new List<(byte[], float)>
        {
            ("<unk>"u8.ToArray(), 0f), ("\n<s>\n"u8.ToArray(), 0f), ("\n</s>\n"u8.ToArray(), 0f),
        };
        for (int b = 0; b < 256; b++)
        {
            entries.Add((Encoding.ASCII.GetBytes($"<0x{b:X2}>"), 0f));
        }

        for (int i = 0; i < merged.Length; i++)
        {
            entries.Add((Encoding.UTF8.GetBytes(merged[i]), -i));
        }

        return Write(7, entries);
    }
}
