using Transformer.Loader.Tokenization;

namespace Transformer.Fuzz.Targets;

/// <summary>
/// Uses a tokenizer that loaded as a caller would: encodes a short text with letters, digits, spaces,
/// punctuation, accents, CJK and an emoji, and decodes what came out plus the first ids of the vocabulary.
/// A loaded tokenizer must not throw on any of that, and must only produce ids it can decode.
/// </summary>
internal static class TokenizerUse
{
    private static readonly string[] Texts = ["Once upon a time,  Lily's cat said: \"Héllo 世界 🙂\"\n\t42!", "", " "];

    public static void Exercise(ITokenizer tokenizer, string source)
    {
        int vocab = tokenizer.VocabSize;
        foreach (int special in tokenizer.EosIds.Concat(tokenizer.BosId is int bos ? [bos] : []))
            RequireInVocabulary(special, vocab, source, "special token");

        foreach (string text in Texts)
        {
            int previous = -1;
            foreach (int id in tokenizer.Encode(text, addBos: true))
            {
                RequireInVocabulary(id, vocab, source, $"Encode(\"{text}\")");
                _ = tokenizer.DecodeBytes(previous, id).Length;
                previous = id;
            }
        }

        for (int id = 0; id < Math.Min(vocab, 1024); id++)
            _ = tokenizer.DecodeBytes(id - 1, id).Length;
    }

    private static void RequireInVocabulary(int id, int vocab, string source, string what)
    {
        if ((uint)id >= (uint)vocab)
            throw new InvalidOperationException($"{source}: {what} gave id {id}, outside the vocabulary of {vocab}");
    }
}
