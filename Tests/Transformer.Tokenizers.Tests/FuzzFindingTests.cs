using Transformer.Loader;
using Transformer.Tokenizers.HuggingFace;
using Transformer.Tokenizers.Llama2c;

namespace Transformer.Tokenizers.Tests;

/// <summary>
/// Inputs the coverage-guided fuzzer (tools/Fuzz) found making a tokenizer throw something other than
/// <see cref="Transformer.Loader.ModelFormatException"/>, kept as they were found (FuzzFindings/) so each stays fixed.
/// </summary>
public sealed class FuzzFindingTests
{
    private static byte[] Finding(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "FuzzFindings", name));

    [Fact]
    public void A_llama2c_eos_piece_that_starts_with_a_space_decodes_to_nothing_after_bos()
    {
        // The file's EOS piece (id 2) is " happ\n"; run.c's strip-after-BOS step sliced the empty bytes of a control token.
        var tokenizer = Llama2cTokenizer.FromBytes(Finding("llama2c-eos-piece-starts-with-space.bin"), "finding");
        Assert.Equal([2], tokenizer.EosIds);
        Assert.True(tokenizer.DecodeBytes(previousToken: 1, token: 2).IsEmpty);
    }

    [Fact]
    public void A_tokenizer_json_with_a_negative_id_is_rejected_naming_the_id()
    {
        // A mutated gpt2-style fixture; the decoding table was indexed with the negative id (IndexOutOfRangeException).
        var error = Assert.Throws<ModelFormatException>(() => ByteLevelBpeTokenizer.FromJson(Finding("tokenizer-json-negative-id.json"), "finding"));
        Assert.Matches("has id -[0-9]+; token ids run from 0", error.Message);
    }
}
