using Transformer.Runtime.Generation;
using Transformer.Tests.Shared;

namespace Transformer.Runtime.Tests;

/// <summary>
/// Per-layer sliding windows (Fixtures/layer_windows: Qwen2 with layer_types [sliding, full], window 4, 16
/// positions) through the paged pool: chunked prefill and decode in blocks smaller than the window, where the sliding
/// layer's attention reads only its window's blocks and the full layer every block, against the PyTorch reference.
/// </summary>
public sealed class LayerWindowTests(ITestOutputHelper output)
{
    private const float LogitTolerance = 1e-4f;

    private static string Fixture => TestModels.Fixture("layer_windows");

    [Theory]
    [InlineData(5, 4)]
    [InlineData(3, 2)]
    [InlineData(16, 16)]
    public void Chunked_prefill_and_decode_match_the_pytorch_reference(int chunk, int blockSize)
    {
        var reference = ReferenceJson.Load(Path.Combine(Fixture, "reference.json"));
        int[] tokens = ReferenceJson.Ints(reference.GetProperty("token_ids"));
        float[] expected = ReferenceJson.FlatFloats(reference.GetProperty("logits"));
        using var model = TestModels.Load(Fixture, new ModelOptions { PrefillChunk = chunk, KvBlockSize = blockSize });
        Assert.Equal([true, false], model.Config.SlidingLayers);
        Assert.True(tokens.Length > model.Config.SlidingWindow, "the sequence must outgrow the window");

        int vocab = model.Config.VocabSize, prefill = tokens.Length / 2;
        using var sequence = model.CreateSequence();
        var actual = new float[tokens.Length * vocab];
        sequence.AppendAll(tokens.AsSpan(0, prefill), actual.AsSpan(0, prefill * vocab));
        for (int i = prefill; i < tokens.Length; i++) sequence.Append(tokens.AsSpan(i, 1), actual.AsSpan(i * vocab, vocab));

        float diff = TestModels.MaxAbsDiff(expected, actual);
        output.WriteLine($"layer_windows, chunk {chunk}, block {blockSize}: max |Δlogit| vs PyTorch {diff:E3}");
        Assert.True(diff <= LogitTolerance, $"max |Δlogit| {diff} exceeds {LogitTolerance}");
    }

    [Fact]
    public void Windowing_every_layer_or_none_gives_other_logits()
    {
        // The fixture's logits depend on which layer slides: the same weights with the window on both layers, or on
        // none, differ from the reference, so the test above cannot pass by windowing uniformly.
        var reference = ReferenceJson.Load(Path.Combine(Fixture, "reference.json"));
        int[] tokens = ReferenceJson.Ints(reference.GetProperty("token_ids"));
        float[] expected = ReferenceJson.FlatFloats(reference.GetProperty("logits"));
        using var files = Loader.ModelFiles.Open(Fixture);
        foreach (var config in new[] { files.Config with { SlidingLayers = null }, files.Config with { SlidingLayers = null, SlidingWindow = null } })
        {
            using var model = DecoderModels.Create(config, files.Weights, new Kernels.Cpu.CpuBackend(new Kernels.Cpu.CpuBackendOptions { Threads = 2 }), ownsBackend: true);
            Assert.True(TestModels.MaxAbsDiff(expected, TestModels.AllLogits(model, tokens)) > 1e-3);
        }
    }
}
