using System.Text;

namespace Transformer.Runtime.Generation;

/// <summary>
/// Turns a stream of token bytes into text. A character split across byte tokens is held back
/// until its last byte arrives, so every emitted piece is whole text.
/// </summary>
internal sealed class Utf8PieceDecoder
{
    private readonly Decoder _decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] _chars = new char[64];

    /// <summary>The text completed by these bytes (possibly empty).</summary>
    public string Decode(ReadOnlySpan<byte> bytes) => Convert(bytes, flush: false);

    /// <summary>Whatever is still held back, with invalid leftovers as U+FFFD.</summary>
    public string Flush() => Convert([], flush: true);

    private string Convert(ReadOnlySpan<byte> bytes, bool flush)
    {
        int needed = _decoder.GetCharCount(bytes, flush);
        if (needed > _chars.Length) _chars = new char[needed];
        int count = _decoder.GetChars(bytes, _chars, flush);
        return new string(_chars, 0, count);
    }
}
