using System.Text.Json;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Safetensors;
using Transformer.Loader.Tests.Support;

namespace Transformer.Loader.Tests;

public sealed class ShardedSafetensorsTests
{
    private static readonly HostTensor A = SafetensorsBytes.Pattern("a", DType.F32, 2, 2);
    private static readonly HostTensor B = SafetensorsBytes.Pattern("b", DType.BF16, 3);
    private static readonly HostTensor C = SafetensorsBytes.Pattern("c", DType.I8, 5);

    private static string WriteIndex(TempDirectory dir, Dictionary<string, string> weightMap) =>
        dir.WriteText(ShardedSafetensors.IndexFileName,
            JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = weightMap }));

    private static string TwoShards(TempDirectory dir)
    {
        SafetensorsWriter.Write(dir.File("model-00001-of-00002.safetensors"), [A, B]);
        SafetensorsWriter.Write(dir.File("model-00002-of-00002.safetensors"), [C]);
        return WriteIndex(dir, new()
        {
            ["a"] = "model-00001-of-00002.safetensors",
            ["b"] = "model-00001-of-00002.safetensors",
            ["c"] = "model-00002-of-00002.safetensors",
        });
    }

    [Fact]
    public void Shards_read_back_as_one_source_with_each_file_opened_once()
    {
        using var dir = new TempDirectory();
        using var model = ShardedSafetensors.Open(TwoShards(dir));
        Assert.Equal(2, model.Shards.Count);
        Assert.Equal(["a", "b", "c"], model.Tensors.Select(t => t.Name));
        foreach (var expected in new[] { A, B, C })
        {
            var actual = model.Get(expected.Name, expected.Shape.ToArray());
            Assert.Equal(expected.Type, actual.Type);
            Assert.True(expected.Data.Span.SequenceEqual(actual.Data.Span));
        }
    }

    [Fact]
    public void A_missing_shard_file_is_named()
    {
        using var dir = new TempDirectory();
        string index = TwoShards(dir);
        File.Delete(dir.File("model-00002-of-00002.safetensors"));
        var error = Assert.Throws<ModelFormatException>(() => ShardedSafetensors.Open(index));
        Assert.Contains(index, error.Message);
        Assert.Contains("shard file 'model-00002-of-00002.safetensors' does not exist", error.Message);
    }

    [Fact]
    public void A_tensor_missing_from_its_shard_is_named()
    {
        using var dir = new TempDirectory();
        TwoShards(dir);
        string index = WriteIndex(dir, new() { ["a"] = "model-00001-of-00002.safetensors", ["c"] = "model-00001-of-00002.safetensors" });
        var error = Assert.Throws<ModelFormatException>(() => ShardedSafetensors.Open(index));
        Assert.Contains("tensor 'c' is mapped to shard 'model-00001-of-00002.safetensors', which does not contain it", error.Message);
    }

    [Fact]
    public void A_tensor_stored_in_two_shards_is_rejected()
    {
        using var dir = new TempDirectory();
        SafetensorsWriter.Write(dir.File("one.safetensors"), [A, B]);
        SafetensorsWriter.Write(dir.File("two.safetensors"), [A, C]);
        string index = WriteIndex(dir, new() { ["a"] = "one.safetensors", ["b"] = "one.safetensors", ["c"] = "two.safetensors" });
        var error = Assert.Throws<ModelFormatException>(() => ShardedSafetensors.Open(index));
        Assert.Contains("tensor 'a' appears in two shards", error.Message);
        Assert.Contains("one.safetensors", error.Message);
        Assert.Contains("two.safetensors", error.Message);
    }

    [Theory]
    [InlineData("{\"weight_map\": []}", "'weight_map' object")]
    [InlineData("{}", "'weight_map' object")]
    [InlineData("{\"weight_map\": {}}", "weight_map is empty")]
    [InlineData("{\"weight_map\": {\"a\": 3}}", "weight_map entry 'a' must be a shard file name")]
    [InlineData("{\"weight_map\": {\"a\": \"../outside.safetensors\"}}", "not a plain file name")]
    [InlineData("{\"weight_map\": {\"a\": \"x\", \"a\": \"y\"}}", "lists tensor 'a' twice")]
    [InlineData("{\"weight_map\": ", "not valid JSON")]
    public void Malformed_index_files_are_rejected(string json, string fragment)
    {
        using var dir = new TempDirectory();
        string index = dir.WriteText(ShardedSafetensors.IndexFileName, json);
        var error = Assert.Throws<ModelFormatException>(() => ShardedSafetensors.Open(index));
        Assert.Contains(index, error.Message);
        Assert.Contains(fragment, error.Message);
    }
}
