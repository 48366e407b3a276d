using System.IO.Compression;
using System.Text.Json;

namespace Transformer.Tokenizers.Tests;

/// <summary>
/// The committed reference of tools/TokenizerParity: the stress corpus, and per tokenizer file the ids Hugging Face's
/// Rust tokenizers give for every string (with and without special tokens) and their decodes (null: the input).
/// </summary>
internal sealed record ParityFixture(
    IReadOnlyList<string> Corpus, int[][] Ids, int[][] IdsNoSpecial, string?[] Decode, string?[] DecodeNoSpecial, int[][] PairIds, int[][] PairTypeIds)
{
    private static string FixtureFolder => Path.Combine(AppContext.BaseDirectory, "Fixtures", "parity");

    public static IReadOnlyList<string> LoadCorpus()
    {
        using JsonDocument corpus = Read("corpus");
        // A string with a lone surrogate is stored as its UTF-16 code units (no UTF-8 JSON text can hold it).
        return [.. corpus.RootElement.GetProperty("strings").EnumerateArray().Select(s => s.ValueKind == JsonValueKind.String
            ? s.GetString()!
            : new string([.. s.GetProperty("u16").EnumerateArray().Select(u => (char)u.GetInt32())]))];
    }

    public static ParityFixture Load(string tokenizer)
    {
        IReadOnlyList<string> corpus = LoadCorpus();
        using JsonDocument document = Read(tokenizer);
        JsonElement root = document.RootElement;
        var fixture = new ParityFixture(corpus, ReadIds(root, "ids"), ReadIds(root, "idsNoSpecial"), ReadTexts(root, "decode"), ReadTexts(root, "decodeNoSpecial"),
            ReadIds(root, "pairIds"), ReadIds(root, "pairTypeIds"));
        if (fixture.Ids.Length != corpus.Count || root.GetProperty("strings").GetInt32() != corpus.Count)
        {
            throw new InvalidDataException($"{tokenizer}.json.gz covers {fixture.Ids.Length} strings, the corpus has {corpus.Count}: regenerate both.");
        }

        return fixture;
    }

    private static JsonDocument Read(string name)
    {
        using var gzip = new GZipStream(File.OpenRead(Path.Combine(FixtureFolder, name + ".json.gz")), CompressionMode.Decompress);
        return JsonDocument.Parse(gzip);
    }

    private static int[][] ReadIds(JsonElement root, string name)
        => [.. root.GetProperty(name).EnumerateArray().Select(a => a.EnumerateArray().Select(x => x.GetInt32()).ToArray())];

    private static string?[] ReadTexts(JsonElement root, string name)
        => [.. root.GetProperty(name).EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Null ? null : x.GetString())];
}
