using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime.Embeddings;

namespace Transformer.Runtime.Tests;

/// <summary>Pooling from sentence-transformers files, and the pooled vectors against the PyTorch reference's.</summary>
public sealed class EmbeddingPoolingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pooling-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string, PoolingMode, bool> Poolings() => new()
    {
        { "mean", PoolingMode.Mean, false }, { "mean_normalized", PoolingMode.Mean, true },
        { "cls", PoolingMode.Cls, false }, { "cls_normalized", PoolingMode.Cls, true },
        { "max", PoolingMode.Max, false }, { "max_normalized", PoolingMode.Max, true },
    };

    [Theory]
    [MemberData(nameof(Poolings))]
    public void Pooled_vectors_match_pytorch(string key, PoolingMode mode, bool normalize)
    {
        using var model = BertReferenceTests.Load();
        foreach (var c in BertReferenceTests.Cases())
        {
            float[] vector = EmbeddingPooler.Pool(model.Encode([c.Tokens], [c.Types]), model.HiddenSize, new EmbeddingPooling(mode, normalize));
            float[] expected = c.Pooled.GetProperty(key).EnumerateArray().Select(e => e.GetSingle()).ToArray();
            float worst = BertReferenceTests.MaxDifference(vector, expected);
            Assert.True(worst <= 1e-4f, $"{key}: max |Δ| {worst:g3}");
        }
    }

    [Fact]
    public void The_fixture_reads_as_mean_pooling_with_normalize() =>
        Assert.Equal(new EmbeddingPooling(PoolingMode.Mean, true), EmbeddingPooling.Read(BertReferenceTests.FixturePath));

    [Fact]
    public void A_folder_without_modules_json_gets_normalized_mean_pooling() =>
        Assert.Equal(EmbeddingPooling.Default with { }, EmbeddingPooling.Read(_folder));

    [Theory]
    [InlineData("cls_token", PoolingMode.Cls)]
    [InlineData("max_tokens", PoolingMode.Max)]
    [InlineData("mean_tokens", PoolingMode.Mean)]
    public void Reads_the_pooling_module_config(string on, PoolingMode expected)
    {
        WriteModules("Transformer", "Pooling");
        Directory.CreateDirectory(Path.Combine(_folder, "1_Pooling"));
        File.WriteAllText(Path.Combine(_folder, "1_Pooling", "config.json"), $$"""{"pooling_mode_{{on}}": true, "pooling_mode_lasttoken": false}""");
        Assert.Equal(new EmbeddingPooling(expected, Normalize: false), EmbeddingPooling.Read(_folder));
    }

    [Theory]
    [InlineData("""{"pooling_mode_lasttoken": true}""", "pooling_mode_lasttoken is not supported")]
    [InlineData("""{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": true}""", "several pooling modes at once (cls_token, mean_tokens)")]
    [InlineData("""{"pooling_mode_cls_token": false}""", "no pooling_mode_* is true")]
    public void Refuses_poolings_it_does_not_compute(string config, string message)
    {
        WriteModules("Transformer", "Pooling");
        Directory.CreateDirectory(Path.Combine(_folder, "1_Pooling"));
        File.WriteAllText(Path.Combine(_folder, "1_Pooling", "config.json"), config);
        Assert.Contains(message, Assert.Throws<ModelFormatException>(() => EmbeddingPooling.Read(_folder)).Message);
    }

    [Fact]
    public void Refuses_modules_it_does_not_run()
    {
        WriteModules("Transformer", "Pooling", "Dense", "Normalize");
        Assert.Contains("module type 'sentence_transformers.models.Dense' is not supported",
            Assert.Throws<ModelFormatException>(() => EmbeddingPooling.Read(_folder)).Message);
        WriteModules("Transformer", "Normalize");
        Assert.Contains("no Pooling module", Assert.Throws<ModelFormatException>(() => EmbeddingPooling.Read(_folder)).Message);
    }

    private void WriteModules(params string[] types) =>
        File.WriteAllText(Path.Combine(_folder, "modules.json"), "[" + string.Join(",", types.Select((t, i) =>
            $$"""{"idx": {{i}}, "name": "{{i}}", "path": "{{(t == "Transformer" ? "" : $"{i}_{t}")}}", "type": "sentence_transformers.models.{{t}}"}""")) + "]");
}
