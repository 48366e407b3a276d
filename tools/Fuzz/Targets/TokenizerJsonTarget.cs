using Transformer.Tokenizers.HuggingFace;

namespace Transformer.Fuzz.Targets;

/// <summary>A Hugging Face tokenizer.json (byte-level BPE), loaded from memory and then used.</summary>
internal sealed class TokenizerJsonTarget : FuzzTarget
{
    public override string Name => "tokenizer-json";

    public override string Description => "ByteLevelBpeTokenizer.FromJson on the input, then encode and decode a short text";

    /// <summary>
    /// The one table not sized by the input: decoded bytes indexed by token id, one reference per id up to the
    /// largest id in the file, which the loader caps at <see cref="ByteLevelBpeTokenizer.MaxTokenId"/>.
    /// </summary>
    public override long AllocationAllowance => base.AllocationAllowance + (ByteLevelBpeTokenizer.MaxTokenId + 1L) * IntPtr.Size;

    public override void Run(byte[] input) =>
        TokenizerUse.Exercise(ByteLevelBpeTokenizer.FromJson(input, "tokenizer.json"), "tokenizer.json");
}
