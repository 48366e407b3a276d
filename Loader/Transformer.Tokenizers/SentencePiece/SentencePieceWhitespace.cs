using Microsoft.ML.Tokenizers;

namespace Transformer.Tokenizers.SentencePiece;

/// <summary>
/// SentencePiece's whitespace handling before BPE: trim and collapse spaces (<c>remove_extra_whitespaces</c>),
/// add the dummy prefix, and spell spaces as ▁ (<c>escape_whitespaces</c>).
/// <para>
/// Why this exists: Microsoft.ML.Tokenizers 2.0.1's <c>SentencePieceNormalizer.Normalize</c> trims spaces
/// from both ends and then returns an empty string when the start index equals the end index, a test
/// meant for "nothing left" (start &gt; end). So any text that is one character after trimming ("x", " a ")
/// normalizes to "" and encodes to no ids, where SentencePiece gives ▁x; and an all-space text normalizes
/// to a lone "▁" where SentencePiece gives nothing. We keep the library's result everywhere else and only
/// build the normalized text ourselves in those two cases.
/// </para>
/// </summary>
internal sealed class SentencePieceWhitespace
{
    /// <summary>SentencePiece's visible space, U+2581.</summary>
    public const char SpaceSymbol = '\u2581';

    private readonly Normalizer? _library;
    private readonly bool _removeExtraWhitespaces;
    private readonly bool _addDummyPrefix;
    private readonly bool _escapeWhitespaces;
    private readonly bool _whitespaceAsSuffix;

    private SentencePieceWhitespace(Normalizer? library, bool removeExtra, bool dummyPrefix, bool escape, bool asSuffix)
    {
        _library = library;
        _removeExtraWhitespaces = removeExtra;
        _addDummyPrefix = dummyPrefix;
        _escapeWhitespaces = escape;
        _whitespaceAsSuffix = asSuffix;
    }

    /// <summary>The settings the library read from the model's <c>normalizer_spec</c>.</summary>
    public static SentencePieceWhitespace Of(SentencePieceTokenizer tokenizer)
    {
        var spec = tokenizer.Normalizer as SentencePieceNormalizer;
        return new SentencePieceWhitespace(tokenizer.Normalizer, spec?.RemoveExtraWhiteSpaces ?? false,
            tokenizer.AddDummyPrefix, tokenizer.EscapeWhiteSpaces, tokenizer.TreatWhitespaceAsSuffix);
    }

    /// <summary>The text as SentencePiece's BPE sees it; empty when nothing is left to encode.</summary>
    public string Normalize(string text)
    {
        if (_library is null)
        {
            return text;
        }

        // The same test also lets an all-space text through as a lone dummy prefix "▁", where
        // SentencePiece returns nothing once the spaces are trimmed.
        if (IsBlank(text))
        {
            return string.Empty;
        }

        string normalized = _library.Normalize(text);
        return normalized.Length == 0 ? NormalizeWhitespace(text) : normalized;
    }

    private bool IsBlank(string text) => text.Length == 0 || (_removeExtraWhitespaces && text.AsSpan().Trim(' ').IsEmpty);

    private string NormalizeWhitespace(string text)
    {
        ReadOnlySpan<char> body = _removeExtraWhitespaces ? text.AsSpan().Trim(' ') : text;
        char space = _escapeWhitespaces ? SpaceSymbol : ' ';
        var builder = new System.Text.StringBuilder(body.Length + 1);
        if (_addDummyPrefix && !_whitespaceAsSuffix)
        {
            builder.Append(space);
        }

        for (int i = 0; i < body.Length; i++)
        {
            if (body[i] != ' ')
            {
                builder.Append(body[i]);
            }
            else if (!_removeExtraWhitespaces || i == 0 || body[i - 1] != ' ')
            {
                builder.Append(space);
            }
        }

        if (_addDummyPrefix && _whitespaceAsSuffix)
        {
            builder.Append(space);
        }

        return builder.ToString();
    }
}
