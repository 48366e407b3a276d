using System.Text;
using System.Text.Json;
using Transformer.Loader;
using Transformer.Tokenizers.HuggingFace;

namespace Transformer.Tokenizers.Tests;

/// <summary>
/// The byte-level tokenizer against ids from Hugging Face's tokenizers.js on the committed fixtures
/// (made by tools/reference/tokenizer_reference.mjs).
/// </summary>
public sealed class ByteLevelBpeTokenizerTests
{
    public static TheoryData<string> FixtureNames => ["gpt2-style", "llama3-style"];

    private static string FixturePath(string name, string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name, file);

    private static ByteLevelBpeTokenizer Load(string name) => ByteLevelBpeTokenizer.Load(FixturePath(name, "tokenizer.json"));

    private static IEnumerable<(string Text, int[] Ids, int[] IdsWithSpecialTokens)> ReferenceCases(string name)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(FixturePath(name, "reference_ids.json")));
        return [.. doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => (
            c.GetProperty("text").GetString()!,
            c.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
            c.GetProperty("ids_with_special_tokens").EnumerateArray().Select(x => x.GetInt32()).ToArray()))];
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void EncodesAsTokenizersJs(string name)
    {
        ByteLevelBpeTokenizer tokenizer = Load(name);
        var cases = ReferenceCases(name).ToList();
        Assert.True(cases.Count >= 20);
        foreach ((string text, int[] ids, _) in cases)
        {
            Assert.True(ids.SequenceEqual(tokenizer.Encode(text, addBos: false)), $"ids of \"{text}\": got [{string.Join(", ", tokenizer.Encode(text, false))}]");
        }
    }

    [Fact]
    public void Llama3StyleTakesBosFromThePostProcessor()
    {
        ByteLevelBpeTokenizer tokenizer = Load("llama3-style");
        Assert.Equal(328 + 2, tokenizer.BosId);
        Assert.Equal([331, 332], tokenizer.EosIds); // <|end_of_text|>, <|eot_id|>
        foreach ((string text, _, int[] withSpecial) in ReferenceCases("llama3-style"))
        {
            Assert.True(withSpecial.SequenceEqual(tokenizer.Encode(text, addBos: true)), $"ids of \"{text}\" with BOS");
        }
    }

    [Fact]
    public void Gpt2StyleHasNoBosUnlessConfigured()
    {
        ByteLevelBpeTokenizer tokenizer = Load("gpt2-style");
        Assert.Null(tokenizer.BosId);
        Assert.Equal([329], tokenizer.EosIds); // <|endoftext|>
        Assert.Equal(tokenizer.Encode("Hello world", addBos: false), tokenizer.Encode("Hello world", addBos: true));

        var configured = ByteLevelBpeTokenizer.Load(FixturePath("gpt2-style", "tokenizer.json"), bosId: 329, eosIds: [329]);
        Assert.Equal(329, configured.Encode("Hello", addBos: true)[0]);
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void DecodingTheEncodingReproducesText(string name)
    {
        ByteLevelBpeTokenizer tokenizer = Load(name);
        foreach ((string text, int[] ids, _) in ReferenceCases(name))
        {
            // Special added tokens are control tokens and decode to nothing.
            string expected = text.Replace("<|endoftext|>", name == "gpt2-style" ? "" : "<|endoftext|>")
                .Replace("<|begin_of_text|>", name == "llama3-style" ? "" : "<|begin_of_text|>")
                .Replace("<|eot_id|>", name == "llama3-style" ? "" : "<|eot_id|>");
            Assert.Equal(expected, Encoding.UTF8.GetString(tokenizer.DecodeAll(ids)));
        }
    }

    [Fact]
    public void ByteTokensDecodeToRawBytes()
    {
        ByteLevelBpeTokenizer tokenizer = Load("gpt2-style");
        IReadOnlyList<int> ids = tokenizer.Encode("☃", addBos: false);
        Assert.Equal(3, ids.Count); // no merges: one token per UTF-8 byte
        Assert.Equal(new byte[] { 0xE2 }, tokenizer.DecodeBytes(-1, ids[0]).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.DecodeBytes(-1, tokenizer.VocabSize));
    }

    [Fact]
    public void MalformedFilesAreRejected()
    {
        string json = File.ReadAllText(FixturePath("llama3-style", "tokenizer.json"));
        ModelFormatException Reject(string text) => Assert.Throws<ModelFormatException>(() => ByteLevelBpeTokenizer.FromJson(Encoding.UTF8.GetBytes(text), "bad.json"));

        Assert.Contains("bad.json: not valid JSON: ", Reject(json[..(json.Length / 2)]).Message);
        Assert.Contains("not a valid tokenizer.json", Reject(json.Replace("\"!\": 0,", "\"!\": \"zero\",")).Message);
        Assert.Contains("no \"model\"", Reject("{}").Message);
        Assert.Contains("\"Unigram\"", Reject(json.Replace("\"type\": \"BPE\"", "\"type\": \"Unigram\"")).Message);
        Assert.Contains("missing from the vocabulary", Reject(json.Replace("\"Ġt\",\n    \"he\"", "\"Ġt\",\n    \"hx\"")).Message);
        Assert.Contains("\"Metaspace\" is not supported", Reject(json.Replace("\"type\": \"ByteLevel\",\n    \"add_prefix_space\": false", "\"type\": \"Metaspace\",\n    \"add_prefix_space\": false")).Message);
        Assert.Contains("lacks", Reject(json.Replace("\"!\": 0,", "")).Message);
    }

    /// <summary>
    /// Regression for a fuzz finding: mutated files with vocabulary or added-token ids negative or far beyond any
    /// vocabulary threw IndexOutOfRangeException from the decoding table (or asked for gigabytes of it).
    /// </summary>
    [Theory]
    [InlineData("vocab", -1)]
    [InlineData("vocab", int.MinValue)]
    [InlineData("vocab", ByteLevelBpeTokenizer.MaxTokenId + 1)]
    [InlineData("vocab", int.MaxValue)]
    [InlineData("added", -5)]
    [InlineData("added", int.MaxValue)]
    public void TokenIdsOutsideAnyVocabularyAreAFormatError(string where, int id)
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(FixturePath("gpt2-style", "tokenizer.json")))!;
        if (where == "vocab") root["model"]!["vocab"]!["12"] = id;
        else root["added_tokens"]![0]!["id"] = id;

        var e = Assert.Throws<ModelFormatException>(() => ByteLevelBpeTokenizer.FromJson(Encoding.UTF8.GetBytes(root.ToJsonString()), "mutated.json"));

        string what = where == "vocab" ? "vocabulary piece \"12\"" : "added token \"<|endoftext|>\"";
        Assert.StartsWith($"mutated.json: {what} has id {id}; token ids run from 0 to at most 4,194,303", e.Message);
    }

    [Fact]
    public void TheLargestAllowedIdLoads()
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(FixturePath("gpt2-style", "tokenizer.json")))!;
        root["added_tokens"]![0]!["id"] = ByteLevelBpeTokenizer.MaxTokenId;

        var tokenizer = ByteLevelBpeTokenizer.FromJson(Encoding.UTF8.GetBytes(root.ToJsonString()), "edge.json");

        Assert.Equal(ByteLevelBpeTokenizer.MaxTokenId + 1, tokenizer.VocabSize);
    }
}
