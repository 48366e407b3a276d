using Transformer.Tokenizers.Llama2c;

namespace Transformer.Fuzz.Targets;

/// <summary>A llama2.c tokenizer export (tok512.bin, tokenizer.bin), loaded from memory and then used.</summary>
internal sealed class Llama2cTokenizerTarget : FuzzTarget
{
    public override string Name => "llama2c-tokenizer";

    public override string Description => "Llama2cTokenizer.FromBytes on the input, then encode and decode a short text";

    public override void Run(byte[] input) =>
        TokenizerUse.Exercise(Llama2cTokenizer.FromBytes(input, "tok.bin"), "tok.bin");
}
