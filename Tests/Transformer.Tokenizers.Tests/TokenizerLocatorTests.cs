using System.Text;
using Transformer.Loader;
using Transformer.Tokenizers.HuggingFace;
using Transformer.Tokenizers.Llama2c;
using Transformer.Tokenizers.SentencePiece;

namespace Transformer.Tokenizers.Tests;

public sealed class TokenizerLocatorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tokenizer-locator-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name, "tokenizer.json");

    private string Put(string name, byte[] content)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    [Fact]
    public void PrefersTokenizerJsonThenModelThenTokModelThenTokBin()
    {
        Put("tok512.bin", Llama2cFiles.Synthetic());
        Assert.IsType<Llama2cTokenizer>(TokenizerLocator.Load(_folder));

        byte[] sentencePiece = File.ReadAllBytes(SharedModels.Stories260KFile("tok512.model"));
        Put("tok512.model", sentencePiece);
        Assert.EndsWith("tok512.model", TokenizerLocator.Find(_folder));
        Assert.IsType<SentencePieceBpeTokenizer>(TokenizerLocator.Load(_folder));

        Put("tokenizer.model", sentencePiece);
        Assert.EndsWith("tokenizer.model", TokenizerLocator.Find(_folder));

        Put("tokenizer.json", File.ReadAllBytes(Fixture("gpt2-style")));
        Assert.EndsWith("tokenizer.json", TokenizerLocator.Find(_folder));
        Assert.IsType<ByteLevelBpeTokenizer>(TokenizerLocator.Load(_folder));
    }

    [Fact]
    public void FindsBesideAModelFile()
    {
        Put("tokenizer.json", File.ReadAllBytes(Fixture("gpt2-style")));
        Put("tok.bin", Llama2cFiles.Synthetic());
        string model = Put("model.safetensors", [0]);
        Assert.Equal(Path.Combine(_folder, "tokenizer.json"), TokenizerLocator.Find(model));
    }

    [Theory]
    [InlineData("{\"model\": {\"type\": \"BPE\"}, \"pre_tokenizer\": {\"type\": \"Metaspace\"}}")]
    [InlineData("{\"model\": {\"type\": \"BPE\", \"byte_fallback\": true}, \"normalizer\": {\"type\": \"Replace\", \"content\": \"\u2581\"}}")]
    public void PrefersTokModelToASentencePieceStyleTokenizerJsonAndTheJsonToTokBin(string json)
    {
        string jsonPath = Put("tokenizer.json", Encoding.UTF8.GetBytes(json));
        string modelPath = Put("tok512.model", [0x0A]);
        Put("tok.bin", Llama2cFiles.Synthetic());
        Assert.Equal(modelPath, TokenizerLocator.Find(_folder));

        File.Delete(modelPath);
        Assert.Equal(jsonPath, TokenizerLocator.Find(_folder));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ATokenizerJsonThatIsNotJsonIsAnErrorNamingItWhetherOrNotAnotherTokenizerIsThere(bool withAnother)
    {
        string path = Put("tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 1,"u8.ToArray());
        if (withAnother) Put("tok.bin", Llama2cFiles.Synthetic());

        var e = Assert.Throws<ModelFormatException>(() => TokenizerLocator.Load(_folder));

        Assert.StartsWith($"{path}: not valid JSON: ", e.Message);
    }

    [Theory]
    [InlineData("[1, 2, 3]", "the document is an array, not an object")]
    [InlineData("{\"model\": {\"type\": \"Unigram\"}, \"pre_tokenizer\": {\"type\": \"Whitespace\"}}", "neither byte-level BPE")]
    [InlineData("{}", "neither byte-level BPE")]
    public void ATokenizerJsonOfNoFamilyWeReadIsAnErrorNotASkip(string json, string expected)
    {
        string path = Put("tokenizer.json", Encoding.UTF8.GetBytes(json));
        Put("tok.bin", Llama2cFiles.Synthetic());

        var e = Assert.Throws<ModelFormatException>(() => TokenizerLocator.Find(_folder));

        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ACorruptByteLevelTokenizerJsonIsAnErrorNotASkip()
    {
        string json = File.ReadAllText(Fixture("gpt2-style")).Replace("\"!\": 0,", "");
        string path = Put("tokenizer.json", Encoding.UTF8.GetBytes(json));
        Put("tok.bin", Llama2cFiles.Synthetic());

        var e = Assert.Throws<ModelFormatException>(() => TokenizerLocator.Load(_folder));

        Assert.StartsWith(path + ": vocabulary lacks", e.Message);
    }

    [Fact]
    public void ACorruptTokenizerModelIsAnErrorEvenWithATokBinBesideIt()
    {
        string path = Put("tokenizer.model", "not a protobuf at all"u8.ToArray());
        Put("tok.bin", Llama2cFiles.Synthetic());

        var e = Assert.Throws<ModelFormatException>(() => TokenizerLocator.Load(_folder));

        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void NamesWhatItLookedForWhenNothingIsThere()
    {
        Put("model.safetensors", [0]);
        var e = Assert.Throws<FileNotFoundException>(() => TokenizerLocator.Load(_folder));
        foreach (string pattern in TokenizerLocator.SearchPatterns)
        {
            Assert.Contains(pattern, e.Message);
        }

        Assert.Contains(_folder, e.Message);
    }

    [Fact]
    public void OverrideMayBeAnyFormatChosenByExtensionOrContent()
    {
        Put("tokenizer.json", File.ReadAllBytes(Fixture("gpt2-style")));
        string llama2c = Put("custom.tok", Llama2cFiles.Synthetic());
        string json = Put("other.txt", File.ReadAllBytes(Fixture("llama3-style")));
        Assert.IsType<Llama2cTokenizer>(TokenizerLocator.Load(_folder, llama2c));
        Assert.IsType<ByteLevelBpeTokenizer>(TokenizerLocator.Load(_folder, json));
        Assert.Throws<FileNotFoundException>(() => TokenizerLocator.Load(_folder, Path.Combine(_folder, "absent.bin")));
    }

    [Fact]
    public void SentencePieceOverrideIsRecognisedByContent()
    {
        string model = Put("spm.dat", File.ReadAllBytes(SharedModels.Stories260KFile("tok512.model")));
        Assert.IsType<SentencePieceBpeTokenizer>(TokenizerLocator.Load(_folder, model));
    }

    [Fact]
    public void TokenizerJsonTakesSpecialIdsFromConfigJson()
    {
        Put("tokenizer.json", File.ReadAllBytes(Fixture("gpt2-style")));
        Put("config.json", "{\"bos_token_id\": 329, \"eos_token_id\": [329, 0]}"u8.ToArray());
        var tokenizer = TokenizerLocator.Load(_folder);
        Assert.Equal(329, tokenizer.BosId);
        Assert.Equal([329, 0], tokenizer.EosIds);
    }

    [Fact]
    public void Llama2cExportIsCheckedAgainstTheModelVocabulary()
    {
        Put("tok.bin", Llama2cFiles.Synthetic());
        Assert.Throws<ModelFormatException>(() => TokenizerLocator.Load(_folder, expectedVocabSize: 512));
    }
}
