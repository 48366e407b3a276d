using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Transformer.Loader;
using Transformer.Tokenizers.Llama2c;

namespace Transformer.Tokenizers.Tests;

public sealed class Llama2cTokenizerTests
{
    private static readonly Llama2cTokenizer Synthetic = Llama2cTokenizer.FromBytes(Llama2cFiles.Synthetic(), "synthetic");

    [Fact]
    public void EncodesEveryReferenceCaseAsRunC()
    {
        var tokenizer = Llama2cTokenizer.Load(SharedModels.Stories260KFile("tok512.bin"), expectedVocabSize: 512);
        IReadOnlyList<TokenizeCase> cases = TokenizeReference.Cases();
        Assert.NotEmpty(cases);
        foreach (TokenizeCase c in cases)
        {
            Assert.True(c.Llama2cIds.SequenceEqual(tokenizer.Encode(c.Text, addBos: true)), $"ids of \"{c.Text}\"");
        }
    }

    [Fact]
    public void ReadsTok512Header()
    {
        var tokenizer = Llama2cTokenizer.Load(SharedModels.Stories260KFile("tok512.bin"));
        Assert.Equal(512, tokenizer.VocabSize);
        Assert.Equal(1, tokenizer.BosId);
        Assert.Equal([2], tokenizer.EosIds);
    }

    [Theory]
    [InlineData("x", 2)] // no piece "▁x": the dummy prefix stays alone
    [InlineData("a", 1)] // "▁a" is a piece
    [InlineData("I", 1)]
    public void EncodesOneCharacterWithItsDummyPrefix(string text, int tokensAfterBos)
    {
        var tokenizer = Llama2cTokenizer.Load(SharedModels.Stories260KFile("tok512.bin"));
        IReadOnlyList<int> ids = tokenizer.Encode(text, addBos: true);
        Assert.Equal(1 + tokensAfterBos, ids.Count);
        Assert.Equal(" " + text, Encoding.UTF8.GetString(tokenizer.DecodeAll(ids.Skip(1).ToList())));
    }

    [Fact]
    public void EmptyTextIsBosAloneOrNothing()
    {
        Assert.Equal([1], Synthetic.Encode("", addBos: true));
        Assert.Empty(Synthetic.Encode("", addBos: false));
    }

    [Fact]
    public void MergesHighestScoreFirstAndKeepsSpaceRuns()
    {
        // "he" outranks " t", so " the" forms; "an" outranks "nd", so " and" forms from " an" + "d" using the
        // last of the three spaces; "  " ranks last and takes the first two spaces.
        static int Id(string piece) => 259 + Array.IndexOf(Llama2cFiles.SyntheticMergedPieces, piece);
        Assert.Equal([1, Id(" the"), Id("  "), Id(" and")], Synthetic.Encode("the   and", addBos: true));
    }

    [Fact]
    public void UnknownCharactersFallBackToByteIds()
    {
        // '☃' is E2 98 83 and has no piece: bytes + 3.
        Assert.Equal([1, 259, 0xE2 + 3, 0x98 + 3, 0x83 + 3], Synthetic.Encode("☃", addBos: true));
    }

    [Theory]
    [InlineData("Once upon a time, there was a little girl.")]
    [InlineData("naïve café ☃ 日本")]
    [InlineData("  two  spaces \n\ttabs ")]
    public void DecodingTheEncodingReproducesText(string text)
    {
        var tokenizer = Llama2cTokenizer.Load(SharedModels.Stories260KFile("tok512.bin"));
        Assert.Equal(text, Encoding.UTF8.GetString(tokenizer.DecodeAll(tokenizer.Encode(text, addBos: true))));
    }

    [Fact]
    public void DecodesLikeRunC()
    {
        var tokenizer = Llama2cTokenizer.Load(SharedModels.Stories260KFile("tok512.bin"));
        Assert.Equal("Once"u8.ToArray(), tokenizer.DecodeBytes(1, 403).ToArray()); // leading space dropped after BOS
        Assert.Equal(" Once"u8.ToArray(), tokenizer.DecodeBytes(261, 403).ToArray());
        Assert.Equal(new byte[] { 0xC3 }, tokenizer.DecodeBytes(297, 198).ToArray()); // <0xC3> is raw byte C3
        Assert.Empty(tokenizer.DecodeBytes(-1, 1).ToArray()); // BOS/EOS produce no text
        Assert.Empty(tokenizer.DecodeBytes(403, 2).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.DecodeBytes(-1, 512));
    }

    [Fact]
    public void LongInputsEncodeInNearLinearTime()
    {
        // 200k characters: run.c's rescanning loop would need ~10^10 pair look-ups here.
        string text = string.Concat(Enumerable.Repeat("the and an ", 20_000));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyList<int> ids = Synthetic.Encode(text, addBos: false);
        watch.Stop();
        Assert.Equal(text, Encoding.UTF8.GetString(Synthetic.DecodeAll(ids)[1..]));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    /// <summary>
    /// Text of up to 300 UTF-16 units: mostly ASCII (what merges apply to), with other BMP characters, control
    /// characters, surrogate pairs and lone surrogates mixed in, so byte fallback and U+FFFD replacement are exercised.
    /// </summary>
    private static Gen<string> Texts =>
        from length in PropertyCoverage.Size(0, 300)
        from units in Gen.Frequency(
                (12, Gen.Choose(0x20, 0x7E).Select(c => new[] { (char)c })),
                (2, Gen.Choose(0x80, 0xD7FF).Select(c => new[] { (char)c })),
                (1, Gen.Choose(0, 0x1F).Select(c => new[] { (char)c })),
                (1, Gen.Choose(0x10000, 0x10FFFF).Select(c => char.ConvertFromUtf32(c).ToCharArray())),
                (1, Gen.Choose(0xD800, 0xDFFF).Select(c => new[] { (char)c })))
            .ArrayOf(length)
        select new string([.. units.SelectMany(u => u)]);

    private static void AssertTextsCovered(IReadOnlyList<string> seen)
    {
        PropertyCoverage.AssertReaches(seen.Select(t => t.Length), 0, 300, "text length in UTF-16 units");
        Assert.Contains(seen, t => t.Any(char.IsSurrogate) && t.EnumerateRunes().Any(r => r.Value > 0xFFFF));
        Assert.Contains(seen, t => t.Length > 0 && t.All(c => c < 0x80));
    }

    [Fact]
    public void DecodingTheEncodingGivesBackTheText()
    {
        // Encoding a string to UTF-8 turns lone surrogates into U+FFFD; that is what must come back.
        var seen = PropertyCoverage.Check(Texts, 300, text =>
            Synthetic.DecodeAll(Synthetic.Encode(text, addBos: true)).AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(text)));
        AssertTextsCovered(seen);
    }

    [Fact]
    public void RandomTextRoundTripsThroughTok512()
    {
        var tokenizer = Llama2cTokenizer.Load(SharedModels.Stories260KFile("tok512.bin"));
        var seen = PropertyCoverage.Check(Texts, 200, text =>
            tokenizer.DecodeAll(tokenizer.Encode(text, addBos: true)).AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(text)));
        AssertTextsCovered(seen);
    }

    [Fact]
    public void TruncatedTok512IsRejected()
    {
        byte[] data = File.ReadAllBytes(SharedModels.Stories260KFile("tok512.bin"));
        var e = Assert.Throws<ModelFormatException>(() => Llama2cTokenizer.FromBytes(data.AsSpan(0, data.Length - 3), "cut.bin"));
        Assert.Contains("truncated", e.Message);
        Assert.Contains("cut.bin", e.Message);
    }

    [Fact]
    public void MalformedFilesAreRejectedWithTheProblemNamed()
    {
        byte[] good = Llama2cFiles.Synthetic();
        Assert.Contains("too short", Assert.Throws<ModelFormatException>(() => Llama2cTokenizer.FromBytes(good.AsSpan(0, 2), "t")).Message);
        Assert.Contains("truncated", Assert.Throws<ModelFormatException>(() => Llama2cTokenizer.FromBytes(good.AsSpan(0, 10), "t")).Message);

        byte[] negativeLength = (byte[])good.Clone();
        BitConverter.TryWriteBytes(negativeLength.AsSpan(8), -5);
        Assert.Contains("length -5", Assert.Throws<ModelFormatException>(() => Llama2cTokenizer.FromBytes(negativeLength, "t")).Message);

        byte[] badHeader = (byte[])good.Clone();
        BitConverter.TryWriteBytes(badHeader.AsSpan(0), 0);
        Assert.Contains("max_token_length", Assert.Throws<ModelFormatException>(() => Llama2cTokenizer.FromBytes(badHeader, "t")).Message);

        byte[] tooFew = Llama2cFiles.Write(7, [("<unk>"u8.ToArray(), 0f), ("a"u8.ToArray(), 0f)]);
        Assert.Contains("at least 259", Assert.Throws<ModelFormatException>(() => Llama2cTokenizer.FromBytes(tooFew, "t")).Message);

        Assert.Contains("512", Assert.Throws<ModelFormatException>(() => Llama2cTokenizer.FromBytes(good, "t", expectedVocabSize: 512)).Message);
    }
}
