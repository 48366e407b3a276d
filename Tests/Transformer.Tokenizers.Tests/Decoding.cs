using Transformer.Loader.Tokenization;

namespace Transformer.Tokenizers.Tests;

internal static class Decoding
{
    /// <summary>Streams <paramref name="ids"/> through DecodeBytes the way a generation loop does.</summary>
    public static byte[] DecodeAll(this ITokenizer tokenizer, IReadOnlyList<int> ids)
    {
        var bytes = new List<byte>();
        int previous = -1;
        foreach (int id in ids)
        {
            bytes.AddRange(tokenizer.DecodeBytes(previous, id));
            previous = id;
        }

        return [.. bytes];
    }
}
