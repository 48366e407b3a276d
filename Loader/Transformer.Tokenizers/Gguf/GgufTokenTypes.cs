namespace Transformer.Tokenizers.Gguf;

/// <summary>llama.cpp's token types (<c>tokenizer.ggml.token_type</c>; the same numbering as SentencePiece's piece types).</summary>
internal enum GgufTokenType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
