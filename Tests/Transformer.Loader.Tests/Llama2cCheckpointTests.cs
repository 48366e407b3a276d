using Transformer.Kernels.Backend;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Llama2c;
using Transformer.Loader.Safetensors;
using Transformer.Loader.Tests.Support;
using Transformer.Tests.Shared;

namespace Transformer.Loader.Tests;

public sealed class Llama2cCheckpointTests
{
    // dim 8, hidden 12, 2 layers, 4 heads (head size 2), 2 KV heads, vocab 10, seq_len 6.
    private static readonly Llama2cHeader Tied = new(8, 12, 2, 4, 2, 10, 6);
    private static readonly Llama2cHeader Untied = Tied with { SignedVocabSize = -10 };

    [Fact]
    public void Tensors_are_the_documented_slices_of_the_file()
    {
        using var dir = new TempDirectory();
        using var checkpoint = Llama2cCheckpoint.Open(dir.WriteBytes("m.bin", Llama2cBytes.Checkpoint(Tied)));

        // Float k of the data region holds k, so each tensor's first element is its offset in floats.
        long dim = 8, hidden = 12, layers = 2, kvDim = 4, vocab = 10;
        long embed = 0, rmsAtt = embed + vocab * dim, wq = rmsAtt + layers * dim, wk = wq + layers * dim * dim,
            wv = wk + layers * kvDim * dim, wo = wv + layers * kvDim * dim, rmsFfn = wo + layers * dim * dim,
            w1 = rmsFfn + layers * dim, w2 = w1 + layers * hidden * dim, w3 = w2 + layers * dim * hidden,
            rmsFinal = w3 + layers * hidden * dim;

        void Expect(string name, long firstFloat, params int[] shape)
        {
            var tensor = checkpoint.Get(name, shape);
            Assert.Equal(DType.F32, tensor.Type);
            var values = tensor.AsFloat32();
            Assert.Equal(firstFloat, values[0]);
            Assert.Equal(firstFloat + values.Length - 1, values[^1]);
        }

        Expect("model.embed_tokens.weight", embed, 10, 8);
        Expect("model.layers.1.input_layernorm.weight", rmsAtt + dim, 8);
        Expect("model.layers.1.self_attn.q_proj.weight", wq + dim * dim, 8, 8);
        Expect("model.layers.1.self_attn.k_proj.weight", wk + kvDim * dim, 4, 8);
        Expect("model.layers.1.self_attn.v_proj.weight", wv + kvDim * dim, 4, 8);
        Expect("model.layers.1.self_attn.o_proj.weight", wo + dim * dim, 8, 8);
        Expect("model.layers.1.post_attention_layernorm.weight", rmsFfn + dim, 8);
        Expect("model.layers.1.mlp.gate_proj.weight", w1 + hidden * dim, 12, 8);
        Expect("model.layers.1.mlp.down_proj.weight", w2 + dim * hidden, 8, 12);
        Expect("model.layers.1.mlp.up_proj.weight", w3 + hidden * dim, 12, 8);
        Expect("model.norm.weight", rmsFinal, 8);
        Assert.False(checkpoint.TryGet("lm_head.weight", out _));
        Assert.Equal(2 + 2 * 9, checkpoint.Tensors.Count);
    }

    [Fact]
    public void Untied_checkpoints_expose_the_classifier_stored_last()
    {
        using var dir = new TempDirectory();
        byte[] bytes = Llama2cBytes.Checkpoint(Untied);
        using var checkpoint = Llama2cCheckpoint.Open(dir.WriteBytes("m.bin", bytes));
        var classifier = checkpoint.Get("lm_head.weight", 10, 8).AsFloat32();
        long totalFloats = (bytes.Length - Llama2cHeader.SizeInBytes) / sizeof(float);
        Assert.Equal(totalFloats - 1, classifier[^1]);
        Assert.False(checkpoint.Config.TieWordEmbeddings);
        Assert.Equal(10, checkpoint.Config.VocabSize);
    }

    [Fact]
    public void Config_carries_llama2c_conventions()
    {
        using var dir = new TempDirectory();
        using var checkpoint = Llama2cCheckpoint.Open(dir.WriteBytes("m.bin", Llama2cBytes.Checkpoint(Tied)));
        var config = checkpoint.Config;
        Assert.Equal("LlamaForCausalLM", config.Architecture);
        Assert.Equal((8, 12, 2, 4, 2, 2, 10, 6), (config.HiddenSize, config.IntermediateSize, config.NumLayers,
            config.NumHeads, config.NumKvHeads, config.HeadDim, config.VocabSize, config.MaxPositions));
        Assert.Equal(RopeStyle.InterleavedPairs, config.RopeStyle);
        Assert.Equal(1e-5f, config.RmsNormEps);
        Assert.Equal(10000f, config.RopeTheta);
        Assert.True(config.TieWordEmbeddings);
        Assert.Equal(1, config.BosTokenId);
        Assert.Equal([2], config.EosTokenIds);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public void File_size_must_match_the_header_exactly(int extraFloats)
    {
        using var dir = new TempDirectory();
        byte[] bytes = Llama2cBytes.Checkpoint(Tied, extraFloats);
        string path = dir.WriteBytes("m.bin", bytes);
        var error = Assert.Throws<ModelFormatException>(() => Llama2cCheckpoint.Open(path));
        Assert.Contains(path, error.Message);
        Assert.Contains($"implies a file of {Tied.ExpectedFileBytes} bytes, but the file has {bytes.Length} bytes", error.Message);
        Assert.False(Llama2cCheckpoint.IsCheckpoint(path));
    }

    [Theory]
    [InlineData(0, 12, 2, 4, 2, 10, 6, "dim must be positive")]
    [InlineData(8, 12, 2, 3, 3, 10, 6, "dim 8 is not divisible by n_heads 3")]
    [InlineData(8, 12, 2, 4, 3, 10, 6, "n_heads 4 is not divisible by n_kv_heads 3")]
    [InlineData(8, 12, 2, 8, 8, 10, 6, "head size 1 (dim / n_heads) must be even")]
    [InlineData(8, 12, 2, 4, 2, 0, 6, "vocab_size 0 is not a usable size")]
    [InlineData(8, 12, 2, 4, 2, int.MinValue, 6, "is not a usable size")]
    [InlineData(8, 12, 0, 4, 2, 10, 6, "n_layers must be positive")]
    [InlineData(8, 12, 2, 4, 2, 10, -6, "seq_len must be positive")]
    [InlineData(65536, 2147483647, 2147483647, 2, 2, 10, 6, "more bytes than a 64-bit count")]
    public void Inconsistent_headers_are_rejected(int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int seqLen, string fragment)
    {
        using var dir = new TempDirectory();
        string path = dir.WriteBytes("m.bin", Llama2cBytes.Build(new Llama2cHeader(dim, hidden, layers, heads, kvHeads, vocab, seqLen), 16));
        var error = Assert.Throws<ModelFormatException>(() => Llama2cCheckpoint.Open(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(fragment, error.Message);
    }

    [Fact]
    public void Files_shorter_than_the_header_are_rejected()
    {
        using var dir = new TempDirectory();
        string path = dir.WriteBytes("m.bin", new byte[20]);
        Assert.Contains("shorter than the 28-byte llama2.c header",
            Assert.Throws<ModelFormatException>(() => Llama2cCheckpoint.Open(path)).Message);
    }

    [Fact]
    public void Stories260K_bin_equals_the_converted_safetensors_up_to_the_documented_rope_permutation()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        using var checkpoint = Llama2cCheckpoint.Open(SharedModels.Stories260KFile("stories260K.bin"));
        using var converted = SafetensorsFile.Open(SharedModels.Stories260KFile("model.safetensors"));

        Assert.Equal(converted.Tensors.Select(t => t.Name).Order(), checkpoint.Tensors.Select(t => t.Name).Order());
        int headDim = checkpoint.Config.HeadDim;
        foreach (var original in checkpoint.Tensors)
        {
            var hf = converted.Get(original.Name, original.Shape.ToArray());
            float[] expected = original.AsFloat32().ToArray();
            if (original.Name.EndsWith("q_proj.weight", StringComparison.Ordinal) || original.Name.EndsWith("k_proj.weight", StringComparison.Ordinal))
                expected = InterleavedToRotateHalfRows(expected, original.Shape[0], original.Shape[1], headDim);
            Assert.True(expected.AsSpan().SequenceEqual(hf.AsFloat32()), $"{original.Name} differs");
        }
        Assert.True(checkpoint.Config.TieWordEmbeddings);
        Assert.Equal(RopeStyle.InterleavedPairs, checkpoint.Config.RopeStyle);
    }

    /// <summary>
    /// Within each head, HF row j·headDim/2 + i takes llama2.c row 2i + j (j ∈ {0, 1}): pairs (2i, 2i+1) that
    /// llama2.c rotates together become the pairs (i, i + headDim/2) that rotate_half rotates together.
    /// </summary>
    private static float[] InterleavedToRotateHalfRows(float[] weights, int rows, int columns, int headDim)
    {
        var permuted = new float[weights.Length];
        for (int head = 0; head < rows / headDim; head++)
            for (int i = 0; i < headDim / 2; i++)
                for (int j = 0; j < 2; j++)
                {
                    int from = head * headDim + 2 * i + j, to = head * headDim + j * headDim / 2 + i;
                    weights.AsSpan(from * columns, columns).CopyTo(permuted.AsSpan(to * columns, columns));
                }
        return permuted;
    }
}
