using Transformer.Kernels.Cpu;
using Transformer.Runtime;
using Transformer.Runtime.Llama;
using Transformer.Runtime.Synthetic;
using Transformer.Text;

namespace Transformer.Cli.Tests;

/// <summary>A language model assembled from synthetic weights and the synthetic vocabulary, as the server bench serves it.</summary>
public sealed class SyntheticLanguageModelTests
{
    [Fact]
    public void The_synthetic_vocabulary_round_trips_every_id_and_names_a_foreign_word()
    {
        var tokenizer = new SyntheticTokenizer(300);
        int[] ids = [0, 7, 299, 42];
        string text = string.Concat(ids.Select(id => System.Text.Encoding.ASCII.GetString(tokenizer.DecodeBytes(-1, id))));

        Assert.Equal(" t0 t7 t299 t42", text);
        Assert.Equal(ids, tokenizer.Encode(text, addBos: true));
        Assert.Null(tokenizer.BosId);
        Assert.Empty(tokenizer.EosIds);
        Assert.Contains("'t300' is not a token", Assert.Throws<ArgumentException>(() => tokenizer.Encode("t1 t300", addBos: false)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.DecodeBytes(-1, 300));
    }

    [Fact]
    public void From_parts_generates_from_the_given_model_and_rejects_a_mismatched_vocabulary()
    {
        var config = SyntheticPresets.Get("tiny");
        var backend = new CpuBackend(new CpuBackendOptions { Threads = 1 });
        var model = new LlamaModel(config, new SyntheticWeightSource(config), backend, new ModelOptions(), ownsWeights: true, ownsBackend: true);

        Assert.Contains("the tokenizer has 10 ids, the model 256",
            Assert.Throws<ArgumentException>(() => LanguageModel.FromParts(model, new SyntheticTokenizer(10), "synthetic:tiny")).Message);
        using var language = LanguageModel.FromParts(model, new SyntheticTokenizer(config.VocabSize), "synthetic:tiny");
        string text = language.Complete("t1 t2 t3", new Transformer.Runtime.Generation.GenerationOptions { MaxNewTokens = 5 }, cancellation: TestContext.Current.CancellationToken);

        Assert.Equal("synthetic:tiny", language.ModelPath);
        Assert.Equal(5, new SyntheticTokenizer(config.VocabSize).Encode(text, addBos: false).Count);
    }
}
