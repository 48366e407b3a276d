using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime.Embeddings;
using Transformer.Tests.Encoders;
using Transformer.Text;

namespace Transformer.Runtime.Tests;

/// <summary>The application-facing embedding API over the BERT fixture.</summary>
public sealed class EmbeddingModelTests
{
    [Fact]
    public void Load_reads_the_folder_and_embeds_token_ids_as_pytorch_pools_them()
    {
        using var model = EmbeddingModel.Load(BertReferenceTests.FixturePath, new EmbeddingModelOptions { Threads = 2 });
        Assert.Equal(32, model.Dimensions);
        Assert.Equal(new EmbeddingPooling(PoolingMode.Mean, true), model.Pooling);
        Assert.Null(model.Tokenizer);
        var cases = BertReferenceTests.Cases().Take(3).ToArray(); // one segment each: the API embeds with token type 0
        float[][] vectors = model.EmbedTokens(cases.Select(c => (IReadOnlyList<int>)c.Tokens).ToArray());
        for (int i = 0; i < cases.Length; i++)
        {
            float[] expected = cases[i].Pooled.GetProperty("mean_normalized").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.True(BertReferenceTests.MaxDifference(vectors[i], expected) <= 1e-4f, $"case {i}");
            Assert.Equal(vectors[i], model.EmbedTokens(cases[i].Tokens));
        }
    }

    [Fact]
    public void Text_goes_through_the_tokenizer_with_its_special_tokens()
    {
        using var model = TinyBert.Load();
        var tokens = model.Encode("the quick brown fox");
        Assert.Equal([WordTokenizer.Cls, .. tokens.Skip(1).SkipLast(1), WordTokenizer.Sep], tokens);
        Assert.Equal(model.EmbedTokens(tokens), model.Embed("the quick brown fox"));
        float[][] batch = model.Embed(["the quick brown fox", "a sentence", "the quick brown fox"]);
        Assert.Equal(batch[0], batch[2]);
        Assert.NotEqual(batch[0], batch[1]);
        Assert.Equal(1.0, Math.Sqrt(batch[1].Sum(v => (double)v * v)), 5);
    }

    /// <summary>A sentence-transformers folder with BERT's vocab.txt: text is wrapped in [CLS] … [SEP] as Hugging Face encodes it.</summary>
    [Fact]
    public void A_folder_with_a_wordpiece_vocabulary_embeds_text_with_cls_and_sep()
    {
        string folder = Path.Combine(Path.GetTempPath(), "transformer-embedding-vocab-" + Guid.NewGuid().ToString("N"));
        try
        {
            CopyFolder(BertReferenceTests.FixturePath, folder);
            string[] words = ["the", "quick", "brown", "fox", "##es"];
            var vocab = new List<string> { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" };
            vocab.AddRange(words);
            while (vocab.Count < 100) vocab.Add($"word{vocab.Count}");
            File.WriteAllLines(Path.Combine(folder, "vocab.txt"), vocab);

            using var model = EmbeddingModel.Load(folder, new EmbeddingModelOptions { Threads = 1 });
            Assert.NotNull(model.Tokenizer);
            Assert.Equal([2, 5, 6, 7, 8, 9, 3], model.Encode("The quick brown foxes"));
            Assert.Equal(model.EmbedTokens([2, 5, 6, 7, 8, 9, 3]), model.Embed("The quick brown foxes"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        static void CopyFolder(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (string file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            foreach (string sub in Directory.GetDirectories(from)) CopyFolder(sub, Path.Combine(to, Path.GetFileName(sub)));
        }
    }

    [Fact]
    public void Text_without_a_tokenizer_and_bad_ids_are_clear_errors()
    {
        using var model = EmbeddingModel.Load(BertReferenceTests.FixturePath, new EmbeddingModelOptions { Threads = 1 });
        Assert.Contains("no tokenizer was found", Assert.Throws<InvalidOperationException>(() => model.Embed("text")).Message);
        Assert.Contains("outside the vocabulary", Assert.Throws<ArgumentException>(() => model.EmbedTokens([2, 500, 3])).Message);
        Assert.Throws<ContextOverflowException>(() => model.EmbedTokens(Enumerable.Repeat(5, model.MaxTokens + 1).ToArray()));
        Assert.Throws<ModelFormatException>(() => EmbeddingModel.Load(TestModels.Fixture("mha")));
    }
}
