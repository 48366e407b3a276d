using Transformer.Loader.Tokenization;

namespace Transformer.Tokenizers;

/// <summary>
/// A tokenizer read from a Hugging Face <c>tokenizer.json</c> (or <c>vocab.txt</c>), which can also do what the
/// Hugging Face <c>Tokenizer</c> does with the same file: encode with the post-processor's special tokens, name the
/// pieces, and decode a whole sequence through the file's decoder chain. <see cref="ITokenizer.Encode"/> stays the
/// engine's view (BOS when asked); these are for parity with Hugging Face and for showing tokens.
/// </summary>
public interface IHuggingFaceTokenizer : ITokenizer
{
    /// <summary>
    /// Ids as Hugging Face's <c>encode(text, add_special_tokens)</c> gives them: the post-processor's special tokens
    /// (BOS, [CLS] ... [SEP]) around the text when <paramref name="addSpecialTokens"/>, none otherwise.
    /// </summary>
    IReadOnlyList<int> EncodeWithSpecialTokens(string text, bool addSpecialTokens);

    /// <summary>The piece an id stands for, as the vocabulary spells it (Hugging Face's <c>id_to_token</c>).</summary>
    string PieceOf(int id);

    /// <summary>Hugging Face's <c>decode(ids, skip_special_tokens)</c>: pieces through the file's decoder chain.</summary>
    string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens);
}
