namespace Transformer.Tokenizers.HuggingFace;

/// <summary>
/// GPT-2's byte-level alphabet: every byte is spelled as one printable character so BPE can work on
/// strings. Printable Latin-1 bytes (33–126, 161–172, 174–255) stand for themselves; the other 68 bytes
/// take the characters U+0100, U+0101, … in byte order (so a space is 'Ġ', a newline 'Ċ').
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] CharOfByte = BuildCharOfByte();
    private static readonly Dictionary<char, byte> ByteOfChar = CharOfByte.Select((c, b) => (c, (byte)b)).ToDictionary(p => p.c, p => p.Item2);

    /// <summary>Spells UTF-8 bytes in the byte-level alphabet.</summary>
    public static string Spell(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), static (chars, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                chars[i] = CharOfByte[source[i]];
            }
        });
    }

    /// <summary>The byte a character of the alphabet stands for.</summary>
    public static bool TryGetByte(char c, out byte value) => ByteOfChar.TryGetValue(c, out value);

    private static char[] BuildCharOfByte()
    {
        var chars = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= 33 and <= 126 or >= 161 and <= 172 or >= 174 and <= 255;
            chars[b] = printable ? (char)b : (char)next++;
        }

        return chars;
    }
}
