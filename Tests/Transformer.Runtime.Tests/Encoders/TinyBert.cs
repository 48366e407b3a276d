using System.Text;
using Transformer.Kernels.Cpu;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Loader.Tokenization;
using Transformer.Runtime.Bert;
using Transformer.Text;

namespace Transformer.Tests.Encoders;

/// <summary>
/// The tiny random BERT fixture (tools/reference/make_bert_fixture.py) as an embedding model, with a word-level
/// tokenizer made for the tests: the fixture ships no vocabulary, and a WordPiece tokenizer is not this test's subject.
/// Shared by the runtime, server and Microsoft.Extensions.AI tests.
/// </summary>
public static class TinyBert
{
    /// <summary>The fixture folder in the source tree.</summary>
    public static string FixturePath => Path.Combine(RepositoryPaths.Root, "Tests", "Transformer.Runtime.Tests", "Fixtures", "bert");

    /// <summary>The fixture with <see cref="WordTokenizer"/>, its pooling read from its sentence-transformers files.</summary>
    public static EmbeddingModel Load()
    {
        var files = EncoderFiles.Open(FixturePath);
        var model = new BertModel((BertConfig)files.Config, files.Weights, new CpuBackend(new CpuBackendOptions { Threads = 2 }), ownsWeights: true, ownsBackend: true);
        return EmbeddingModel.FromParts(model, new WordTokenizer(), EmbeddingPooling.Read(FixturePath), "tiny-bert", contentIdentity: "tiny-bert fixture");
    }
}

/// <summary>
/// Lower-cased words separated by spaces; word w is id 4 + (stable hash of w mod 96), so every word has an id in the
/// fixture's vocabulary of 100; [CLS] = 2 first and [SEP] = 3 last, as a BERT tokenizer adds them.
/// </summary>
public sealed class WordTokenizer : ITokenizer
{
    public const int Cls = 2, Sep = 3;

    public int VocabSize => 100;
    public int? BosId => Cls;
    public IReadOnlyList<int> EosIds => [Sep];

    public IReadOnlyList<int> Encode(string text, bool addBos)
    {
        var ids = new List<int>();
        if (addBos) ids.Add(Cls);
        foreach (string word in text.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            ids.Add(4 + (int)(Fnv1a(word) % 96));
        if (addBos) ids.Add(Sep);
        return ids;
    }

    public ReadOnlySpan<byte> DecodeBytes(int previousToken, int token) => token < 4 ? [] : Encoding.UTF8.GetBytes($" w{token}");

    private static uint Fnv1a(string word)
    {
        uint hash = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(word)) hash = (hash ^ b) * 16777619;
        return hash;
    }
}
