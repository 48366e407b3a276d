using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Transformer.Loader;
using Transformer.Loader.Gguf;
using Transformer.Loader.Tokenization;
using Transformer.Tokenizers.Gguf;
using Transformer.Tokenizers.HuggingFace;
using Transformer.Tokenizers.Llama2c;
using Transformer.Tokenizers.SentencePiece;

namespace Transformer.Tokenizers.Tests;

/// <summary>
/// The tokenizer inside a GGUF file against the same tokenizer read from its usual files: stories260K's tok512
/// (SentencePiece pieces) against run.c's reference ids, llama.cpp's ids and the llama2.c tokenizer; the byte-level
/// fixtures against tokenizers.js's ids.
/// </summary>
public sealed class GgufTokenizerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "transformer-gguf-tokenizer-tests", Guid.NewGuid().ToString("N"));

    public GgufTokenizerTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A vocabulary-only GGUF (no tensors, as llama.cpp's ggml-vocab-*.gguf files) with the given metadata.</summary>
    private string VocabOnly(Action<GgufWriter> metadata, string name = "vocab.gguf")
    {
        string path = Path.Combine(_dir, name);
        using (var gguf = new GgufWriter(File.Create(path)))
        {
            gguf.Add("general.architecture", "llama");
            metadata(gguf);
            gguf.WriteHeader();
        }
        return path;
    }

    private ITokenizer Stories()
    {
        string model = SharedModels.Stories260KFile("tok512.model");
        return GgufTokenizer.Load(VocabOnly(w => GgufTokenizerMetadata.AddSentencePiece(w, File.ReadAllBytes(model), model)));
    }

    [Fact]
    public void Stories260K_encodes_as_run_c()
    {
        var tokenizer = Stories();
        Assert.Equal(1, tokenizer.BosId);
        Assert.Equal([2], tokenizer.EosIds);
        Assert.Equal(512, tokenizer.VocabSize);
        var cases = TokenizeReference.Cases();
        Assert.NotEmpty(cases);
        foreach (var c in cases)
            Assert.True(c.Llama2cIds.SequenceEqual(tokenizer.Encode(c.Text, addBos: true)),
                $"\"{c.Text}\": run.c [{string.Join(", ", c.Llama2cIds)}], ours [{string.Join(", ", tokenizer.Encode(c.Text, true))}]");
    }

    [Fact]
    public void Stories260K_encodes_the_prompts_as_llama_cpp()
    {
        var tokenizer = Stories();
        string path = SharedModels.Stories260KFile(Path.Combine("reference", "llamacpp_check.json"));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        int checkedPrompts = 0;
        foreach (var run in doc.RootElement.GetProperty("runs").EnumerateArray())
            foreach (var greedy in run.GetProperty("greedy").EnumerateArray())
            {
                int[] expected = [.. greedy.GetProperty("prompt_token_ids_llamacpp_tokenizer").EnumerateArray().Select(e => e.GetInt32())];
                Assert.Equal(expected, tokenizer.Encode(greedy.GetProperty("prompt").GetString()!, addBos: true));
                checkedPrompts++;
            }
        Assert.True(checkedPrompts >= 4);
    }

    [Fact]
    public void Stories260K_encodes_as_llama_cpp_control_pieces_included()
    {
        // Fixtures/gguf/stories260K-llamacpp-tokens.json: llama.cpp's llama_tokenize (add_special, parse_special) on this
        // same GGUF tokenizer, written by tools/GgufFixtures: run.c's cases plus control pieces, tabs and newlines.
        var tokenizer = Stories();
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "gguf", "stories260K-llamacpp-tokens.json")));
        int cases = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            string text = c.GetProperty("text").GetString()!;
            int[] expected = [.. c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32())];
            var actual = tokenizer.Encode(text, addBos: true);
            Assert.True(expected.SequenceEqual(actual), $"\"{text}\": llama.cpp [{string.Join(", ", expected)}], ours [{string.Join(", ", actual)}]");
            cases++;
        }
        Assert.True(cases >= 15);
    }

    [Fact]
    public void Stories260K_agrees_with_the_llama2c_tokenizer_on_random_text()
    {
        var gguf = Stories();
        var llama2c = Llama2cTokenizer.Load(SharedModels.Stories260KFile("tok512.bin"));
        var sentencePiece = SentencePieceBpeTokenizer.Load(SharedModels.Stories260KFile("tok512.model"));
        // Letters, runs of spaces, punctuation, digits, accents, CJK, an emoji (byte fallback), a control piece.
        string[] atoms = ["a", "b", "e", "o", "t", "h", " ", "  ", "The", "Lily", "dog", ",", ".", "!", "\"", "7", "é", "日", "☃", "😀", "\n", "</s>"];
        var texts = Gen.ListOf(Gen.Elements(atoms)).Select(parts => string.Concat(parts));
        PropertyCoverage.Check(texts, 300, text =>
        {
            var ours = gguf.Encode(text, addBos: true);
            var theirs = llama2c.Encode(text.Replace("</s>", ""), addBos: true);
            // run.c spells "</s>" out piece by piece; both the GGUF tokenizer and llama.cpp match it as EOS.
            if (!text.Contains("</s>"))
                Assert.True(theirs.SequenceEqual(ours), $"\"{text}\": llama2.c [{string.Join(", ", theirs)}], ours [{string.Join(", ", ours)}]");
            else
                Assert.Contains(2, ours);
            Assert.Equal(Decoded(sentencePiece, ours), Decoded(gguf, ours));
        });
    }

    private static byte[] Decoded(ITokenizer tokenizer, IReadOnlyList<int> ids)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < ids.Count; i++) bytes.AddRange(tokenizer.DecodeBytes(i == 0 ? -1 : ids[i - 1], ids[i]).ToArray());
        return [.. bytes];
    }

    /// <summary>A tokenizer.json fixture's vocabulary, merges and added tokens written as a GGUF gpt2 tokenizer.</summary>
    private string ByteLevelGguf(string fixture, string pre)
    {
        string json = Path.Combine(AppContext.BaseDirectory, "Fixtures", fixture, "tokenizer.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(json));
        var model = doc.RootElement.GetProperty("model");
        var added = doc.RootElement.GetProperty("added_tokens").EnumerateArray()
            .ToDictionary(a => a.GetProperty("id").GetInt32(), a => (Content: a.GetProperty("content").GetString()!, Special: a.GetProperty("special").GetBoolean()));
        var vocab = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Value.GetInt32(), p => p.Name);
        int count = 1 + Math.Max(vocab.Keys.Max(), added.Keys.DefaultIfEmpty(0).Max());
        var tokens = new string[count];
        var types = new int[count];
        for (int id = 0; id < count; id++)
        {
            (tokens[id], types[id]) = added.TryGetValue(id, out var a) ? (a.Content, a.Special ? 3 : 4) : (vocab.GetValueOrDefault(id, $"[PAD{id}]"), 1);
        }
        string[] merges = [.. model.GetProperty("merges").EnumerateArray().Select(m => m.ValueKind == JsonValueKind.Array ? $"{m[0].GetString()} {m[1].GetString()}" : m.GetString()!)];
        return VocabOnly(w =>
        {
            w.Add("tokenizer.ggml.model", "gpt2");
            w.Add("tokenizer.ggml.pre", pre);
            w.Add("tokenizer.ggml.tokens", tokens);
            w.Add("tokenizer.ggml.token_type", types);
            w.Add("tokenizer.ggml.merges", merges);
        }, fixture + ".gguf");
    }

    [Theory]
    [InlineData("gpt2-style", "gpt-2")]
    [InlineData("llama3-style", "llama-bpe")]
    public void Byte_level_bpe_encodes_as_tokenizers_js(string fixture, string pre)
    {
        var gguf = GgufTokenizer.Load(ByteLevelGguf(fixture, pre));
        var json = ByteLevelBpeTokenizer.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", fixture, "tokenizer.json"));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", fixture, "reference_ids.json")));
        int cases = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            string text = c.GetProperty("text").GetString()!;
            int[] ids = [.. c.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32())];
            Assert.True(ids.SequenceEqual(gguf.Encode(text, addBos: false)), $"\"{text}\": tokenizers.js [{string.Join(", ", ids)}], ours [{string.Join(", ", gguf.Encode(text, false))}]");
            Assert.Equal(Decoded(json, ids), Decoded(gguf, ids));
            cases++;
        }
        Assert.True(cases >= 20);
        Assert.Null(gguf.BosId); // a gpt2 tokenizer adds no BOS unless add_bos_token says so
    }

    [Fact]
    public void The_pre_tokenizer_named_in_the_file_is_the_one_used()
    {
        // Guards the pre-tokenizer table: the llama3-style vocabulary read with GPT-2's pattern (and without
        // ignore_merges) must get some of tokenizers.js's cases wrong.
        var asGpt2 = GgufTokenizer.Load(ByteLevelGguf("llama3-style", "gpt-2"));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "llama3-style", "reference_ids.json")));
        int wrong = doc.RootElement.GetProperty("cases").EnumerateArray().Count(c =>
            !c.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).SequenceEqual(asGpt2.Encode(c.GetProperty("text").GetString()!, false)));
        Assert.True(wrong > 0);
    }

    private ModelFormatException Rejected(Action<GgufWriter> metadata) =>
        Assert.Throws<ModelFormatException>(() => GgufTokenizer.Load(VocabOnly(metadata)));

    [Fact]
    public void Malformed_tokenizer_metadata_is_named()
    {
        Assert.Contains("holds no tokenizer", Rejected(_ => { }).Message);
        Assert.Contains("tokenizer.ggml.model 'bert' is not supported; supported: llama, gpt2", Rejected(w =>
        {
            w.Add("tokenizer.ggml.model", "bert");
            w.Add("tokenizer.ggml.tokens", ["a"]);
        }).Message);
        Assert.Contains("scores has 1 entries for 2 tokens", Rejected(w =>
        {
            w.Add("tokenizer.ggml.model", "llama");
            w.Add("tokenizer.ggml.tokens", ["a", "b"]);
            w.Add("tokenizer.ggml.scores", [0f]);
        }).Message);
        Assert.Contains("token_type[1] is 9", Rejected(w =>
        {
            w.Add("tokenizer.ggml.model", "llama");
            w.Add("tokenizer.ggml.tokens", ["a", "b"]);
            w.Add("tokenizer.ggml.token_type", [1, 9]);
        }).Message);
        Assert.Contains("bos_token_id 5 is outside the vocabulary of 2", Rejected(w =>
        {
            w.Add("tokenizer.ggml.model", "llama");
            w.Add("tokenizer.ggml.tokens", ["a", "b"]);
            w.Add("tokenizer.ggml.bos_token_id", 5u);
        }).Message);
        Assert.Contains("tokenizer.ggml.pre 'default' is not supported", Rejected(w =>
        {
            w.Add("tokenizer.ggml.model", "gpt2");
            w.Add("tokenizer.ggml.pre", "default");
            w.Add("tokenizer.ggml.tokens", ["a"]);
        }).Message);
        Assert.Contains("needs tokenizer.ggml.merges", Rejected(w =>
        {
            w.Add("tokenizer.ggml.model", "gpt2");
            w.Add("tokenizer.ggml.tokens", ["a"]);
        }).Message);
    }

    [Fact]
    public void The_locator_reads_a_gguf_model_as_its_own_tokenizer()
    {
        string model = SharedModels.Stories260KFile("tok512.model");
        string path = VocabOnly(w => GgufTokenizerMetadata.AddSentencePiece(w, File.ReadAllBytes(model), model), "model.gguf");
        Assert.Equal(path, TokenizerLocator.Find(path));
        Assert.Equal([1, 403, 407, 261, 378], TokenizerLocator.LoadFile(path).Encode("Once upon a time", addBos: true));
        Assert.Contains("the tokenizer has 512 tokens, more than the model's vocabulary of 500",
            Assert.Throws<ModelFormatException>(() => TokenizerLocator.LoadFile(path, expectedVocabSize: 500)).Message);
        // By content too, whatever the extension.
        File.Copy(path, Path.Combine(_dir, "renamed.bin"));
        Assert.Equal([1, 403, 407, 261, 378], TokenizerLocator.LoadFile(Path.Combine(_dir, "renamed.bin")).Encode("Once upon a time", addBos: true));
    }
}
