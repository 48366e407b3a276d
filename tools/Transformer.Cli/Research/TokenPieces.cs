using System.Text;
using Transformer.Loader.Tokenization;

namespace Transformer.Cli.Research;

/// <summary>How a token reads in a report: the text it contributes, or its bytes when they are not whole UTF-8.</summary>
public static class TokenPieces
{
    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The text <paramref name="token"/> contributes after <paramref name="previous"/> (-1 at the start); a byte
    /// token that is part of a multi-byte character reads as <c>&lt;0xE2&gt;</c>, since it is no text on its own.
    /// </summary>
    public static string Piece(ITokenizer tokenizer, int previous, int token)
    {
        var bytes = tokenizer.DecodeBytes(previous, token);
        try
        {
            return s_strict.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            var hex = new StringBuilder();
            foreach (byte b in bytes) hex.Append($"<0x{b:X2}>");
            return hex.ToString();
        }
    }

    /// <summary>A piece quoted for the table, with control characters escaped so a row stays one line.</summary>
    public static string Quoted(string piece)
    {
        var quoted = new StringBuilder("\"");
        foreach (char c in piece)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }
        return quoted.Append('"').ToString();
    }
}
