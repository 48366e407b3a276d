using Transformer.Tokenizers.SentencePiece;

namespace Transformer.Fuzz.Targets;

/// <summary>A SentencePiece .model (a serialized ModelProto), loaded from memory and then used.</summary>
internal sealed class SentencePieceTarget : FuzzTarget
{
    public override string Name => "sentencepiece-model";

    public override string Description => "SentencePieceBpeTokenizer.FromBytes on the input, then encode and decode a short text";

    public override void Run(byte[] input) =>
        TokenizerUse.Exercise(SentencePieceBpeTokenizer.FromBytes(input, "tokenizer.model"), "tokenizer.model");
}
