using System.Text;
using Microsoft.ML.Tokenizers;
using Transformer.Loader;
using Transformer.Tokenizers.SentencePiece;

namespace Transformer.Tokenizers.Tests;

public sealed class SentencePieceBpeTokenizerTests
{
    private static SentencePieceBpeTokenizer Tok512() => SentencePieceBpeTokenizer.Load(SharedModels.Stories260KFile("tok512.model"));

    [Fact]
    public void EncodesEveryReferenceCaseAsSentencePiece()
    {
        SentencePieceBpeTokenizer tokenizer = Tok512();
        IReadOnlyList<TokenizeCase> cases = TokenizeReference.Cases();
        Assert.NotEmpty(cases);
        foreach (TokenizeCase c in cases)
        {
            Assert.True(c.SentencePieceIds.SequenceEqual(tokenizer.Encode(c.Text, addBos: true)), $"ids of \"{c.Text}\"");
        }
    }

    [Fact]
    public void ReadsSpecialIdsFromTheModel()
    {
        SentencePieceBpeTokenizer tokenizer = Tok512();
        Assert.Equal(512, tokenizer.VocabSize);
        Assert.Equal(1, tokenizer.BosId);
        Assert.Equal([2], tokenizer.EosIds);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("a")]
    [InlineData("I")]
    [InlineData("  x ")]
    public void LibraryAloneLosesOneCharacterInputs(string text)
    {
        // Documents the Microsoft.ML.Tokenizers 2.0.1 bug the wrapper works around. If this starts
        // failing, the library was fixed and SentencePieceWhitespace's fallback can go.
        using FileStream stream = File.OpenRead(SharedModels.Stories260KFile("tok512.model"));
        LlamaTokenizer library = LlamaTokenizer.Create(stream);
        Assert.Empty(library.EncodeToIds(text));
    }

    [Theory]
    [InlineData("x")]
    [InlineData("a")]
    [InlineData("I")]
    [InlineData("  x ")]
    public void EncodesOneCharacterInputsAsTheMergeOfDummyPrefixAndCharacter(string text)
    {
        SentencePieceBpeTokenizer tokenizer = Tok512();
        // SentencePiece's answer is the BPE of "▁" + the character, which is what run.c computes for a
        // trimmed text too: tokenize.json has it for "x" ([1, 410, 444]); "a" and "I" have merged pieces.
        var runC = Llama2c.Llama2cTokenizer.Load(SharedModels.Stories260KFile("tok512.bin"));
        IReadOnlyList<int> ids = tokenizer.Encode(text, addBos: true);
        Assert.Equal(runC.Encode(text.Trim(' '), addBos: true), ids);
        Assert.True(ids.Count >= 2);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("    ")]
    public void BlankTextIsBosAlone(string text)
    {
        // The library would return nothing for "", and a lone "▁" for all-space text.
        Assert.Equal([1], Tok512().Encode(text, addBos: true));
        Assert.Empty(Tok512().Encode(text, addBos: false));
    }

    [Theory]
    [InlineData("Once upon a time, there was a little girl.")]
    [InlineData("naïve café ☃ 日本")]
    [InlineData("Line one.\nLine two.\ttab")]
    [InlineData("Q")]
    public void DecodingTheEncodingReproducesText(string text)
    {
        SentencePieceBpeTokenizer tokenizer = Tok512();
        Assert.Equal(text, Encoding.UTF8.GetString(tokenizer.DecodeAll(tokenizer.Encode(text, addBos: true))));
    }

    [Fact]
    public void DecodesPiecesBytesAndControlTokens()
    {
        SentencePieceBpeTokenizer tokenizer = Tok512();
        Assert.Equal("Once"u8.ToArray(), tokenizer.DecodeBytes(1, 403).ToArray()); // ▁Once after BOS
        Assert.Equal(" Once"u8.ToArray(), tokenizer.DecodeBytes(261, 403).ToArray()); // ▁ -> space
        Assert.Equal(new byte[] { 0xE2 }, tokenizer.DecodeBytes(410, 229).ToArray()); // <0xE2>
        Assert.Empty(tokenizer.DecodeBytes(-1, 1).ToArray());
        Assert.Empty(tokenizer.DecodeBytes(426, 2).ToArray());
        Assert.Equal(" \u2047 "u8.ToArray(), tokenizer.DecodeBytes(426, 0).ToArray()); // SentencePiece's unk surface
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.DecodeBytes(-1, 512));
    }

    [Fact]
    public void MalformedModelsAreRejected()
    {
        byte[] model = File.ReadAllBytes(SharedModels.Stories260KFile("tok512.model"));
        var truncated = Assert.Throws<ModelFormatException>(() => SentencePieceBpeTokenizer.FromBytes(model[..(model.Length / 2)], "half.model"));
        Assert.Contains("half.model", truncated.Message);
    }

    [Fact]
    public void NonModelBytesAreRejected()
    {
        Assert.Contains("not a valid SentencePiece model",
            Assert.Throws<ModelFormatException>(() => SentencePieceBpeTokenizer.FromBytes("hello world, no protobuf"u8.ToArray(), "text.model")).Message);
        Assert.Contains("no pieces",
            Assert.Throws<ModelFormatException>(() => SentencePieceBpeTokenizer.FromBytes([], "empty.model")).Message);
    }
}

/// <summary>
/// Control pieces written in the text (what chat templates render: "&lt;s&gt;[INST] … [/INST]", "…&lt;/s&gt;") encode as
/// their ids, with the text between them encoded as separate segments, as Hugging Face's Llama tokenizers do.
/// </summary>
public sealed class SentencePieceSpecialTokenTests
{
    private static SentencePieceBpeTokenizer Tok512() => SentencePieceBpeTokenizer.Load(SharedModels.Stories260KFile("tok512.model"));

    [Fact]
    public void Control_pieces_in_the_text_encode_as_their_ids()
    {
        SentencePieceBpeTokenizer tokenizer = Tok512();

        IReadOnlyList<int> ids = tokenizer.Encode("<s>[INST] Hi there [/INST] Hello</s>", addBos: false);

        int[] expected = [1, .. tokenizer.Encode("[INST] Hi there [/INST] Hello", addBos: false), 2];
        Assert.Equal(expected, ids);
    }

    [Fact]
    public void Each_segment_between_special_tokens_gets_its_own_dummy_prefix()
    {
        SentencePieceBpeTokenizer tokenizer = Tok512();

        IReadOnlyList<int> ids = tokenizer.Encode("Once</s>upon<unk>a", addBos: true);

        int[] expected = [1, .. tokenizer.Encode("Once", false), 2, .. tokenizer.Encode("upon", false), 0, .. tokenizer.Encode("a", false)];
        Assert.Equal(expected, ids);
    }

    [Fact]
    public void Text_that_only_resembles_a_control_piece_is_encoded_as_text()
    {
        SentencePieceBpeTokenizer tokenizer = Tok512();

        IReadOnlyList<int> ids = tokenizer.Encode("<s >a</ s>", addBos: false);

        Assert.DoesNotContain(1, ids);
        Assert.DoesNotContain(2, ids);
    }
}
