using Transformer.Tokenizers.HuggingFace;

namespace Transformer.Fuzz.Targets;

/// <summary>A Hugging Face tokenizer.json (byte-level BPE), loaded from memory and then used.</summary>
internal sealed class TokenizerJsonTarget : FuzzTarget
{
    public override string Name => "tokenizer-json";

    public override string Description => "ByteLevelBpeTokenizer.FromJson on the input, then encode and decode a short text";

    public override void Run(byte[] input) =>
        TokenizerUse.Exercise(ByteLevelBpeTokenizer.FromJson(input, "tokenizer.json"), "tokenizer.json");
}
