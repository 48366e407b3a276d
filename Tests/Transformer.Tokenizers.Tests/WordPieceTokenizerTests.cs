using System.Text;
using Transformer.Loader;
using Transformer.Tokenizers.WordPiece;

namespace Transformer.Tokenizers.Tests;

/// <summary>WordPiece on a small vocab.txt: the rules the real-file parity test covers at scale, readable one by one.</summary>
public sealed class WordPieceTokenizerTests : IDisposable
{
    private static readonly string[] Vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "hello", "!", "cafe", "世", "a", "##a"];

    private readonly string _folder = Directory.CreateTempSubdirectory("wordpiece-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private WordPieceTokenizer Load(string? config = null)
    {
        File.WriteAllText(Path.Combine(_folder, "vocab.txt"), string.Join('\n', Vocabulary) + "\n", Encoding.UTF8);
        if (config is not null)
        {
            File.WriteAllText(Path.Combine(_folder, "tokenizer_config.json"), config);
        }

        return Assert.IsType<WordPieceTokenizer>(TokenizerLocator.Load(_folder));
    }

    [Fact]
    public void SplitsLongestPieceFirstWithContinuationsAndAddsClsAndSep()
    {
        WordPieceTokenizer tokenizer = Load();
        Assert.Equal([2, 5, 6, 7, 8, 9, 3], tokenizer.EncodeWithSpecialTokens("unaffable HELLO!", addSpecialTokens: true));
        Assert.Equal([5, 6, 7, 8, 9], tokenizer.EncodeWithSpecialTokens("unaffable HELLO!", addSpecialTokens: false));
    }

    [Fact]
    public void StripsAccentsSpacesChineseCharactersAndMakesUnspellableWordsOneUnk()
    {
        WordPieceTokenizer tokenizer = Load();
        Assert.Equal([10, 11, 1], tokenizer.EncodeWithSpecialTokens("Café世unaffablex", addSpecialTokens: false));
    }

    [Fact]
    public void AWordLongerThanMaxInputCharsPerWordIsUnk()
    {
        WordPieceTokenizer tokenizer = Load();
        Assert.Equal([13 - 1, .. Enumerable.Repeat(13, 99)], tokenizer.EncodeWithSpecialTokens(new string('a', 100), addSpecialTokens: false));
        Assert.Equal([1], tokenizer.EncodeWithSpecialTokens(new string('a', 101), addSpecialTokens: false));
    }

    [Fact]
    public void DoLowerCaseFalseKeepsCaseAndAccents()
    {
        WordPieceTokenizer tokenizer = Load("{\"do_lower_case\": false}");
        Assert.Equal([1, 1], tokenizer.EncodeWithSpecialTokens("HELLO Café", addSpecialTokens: false));
    }

    [Fact]
    public void DecodesContinuationsIntoWordsAndPairsCarryTokenTypes()
    {
        WordPieceTokenizer tokenizer = Load();
        Assert.Equal("unaffable hello!", tokenizer.Decode([2, 5, 6, 7, 8, 9, 3], skipSpecialTokens: true));
        string streamed = Encoding.UTF8.GetString([.. new[] { 2, 5, 6, 7, 8 }.Select((t, i) => (t, prev: i == 0 ? -1 : new[] { 2, 5, 6, 7, 8 }[i - 1])).SelectMany(x => tokenizer.DecodeBytes(x.prev, x.t).ToArray())]);
        Assert.Equal("unaffable hello", streamed);

        (IReadOnlyList<int> ids, IReadOnlyList<int> types) = tokenizer.EncodePair("hello", "un");
        Assert.Equal([2, 8, 3, 5, 3], ids);
        Assert.Equal([0, 0, 0, 1, 1], types);
    }

    [Fact]
    public void AVocabTxtWithoutUnkIsAClearError()
    {
        File.WriteAllText(Path.Combine(_folder, "vocab.txt"), "[CLS]\n[SEP]\nhello\n");
        var e = Assert.Throws<ModelFormatException>(() => TokenizerLocator.Load(_folder));
        Assert.Contains("vocab.txt: a BERT vocab.txt has [UNK]", e.Message);
    }
}
