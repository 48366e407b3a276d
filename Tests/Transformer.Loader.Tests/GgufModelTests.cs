using Transformer.Kernels.Quantized.Ggml;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Quantized;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Config;
using Transformer.Loader.Gguf;
using Transformer.Loader.Tests.Support;

namespace Transformer.Loader.Tests;

/// <summary>
/// A model written as GGUF (llama.cpp's names, keys and row order) opens through <see cref="ModelFiles"/> as the same
/// configuration and the same tensors, in Hugging Face names and order.
/// </summary>
public sealed class GgufModelTests
{
    private static string Written(TempDirectory dir, TinyModel model, GgmlType type, string name = "model.gguf", Action<GgufWriter>? extra = null)
    {
        string path = dir.File(name);
        GgufModelWriter.Write(path, model.Config, model, type, extra);
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Llama_config_round_trips(bool tied)
    {
        using var dir = new TempDirectory();
        var model = new TinyModel(TinyModel.Llama(tied));
        using var files = ModelFiles.Open(Written(dir, model, GgmlType.F32, extra: w =>
        {
            w.Add("tokenizer.ggml.bos_token_id", 1u);
            w.Add("tokenizer.ggml.eos_token_id", 2u);
            w.Add("tokenizer.ggml.eot_token_id", 3u);
        }));
        Assert.Equal(ModelFileFormat.Gguf, files.Format);
        // The config says o_proj has no bias explicitly (from the tensors), where the original left it to AttentionBias.
        Assert.Equal(model.Config with { BosTokenId = 1, EosTokenIds = files.Config.EosTokenIds, OutputProjectionBias = false }, files.Config);
        Assert.Equal([2, 3], files.Config.EosTokenIds);
        Assert.Equal(dir.File("model.gguf"), files.EmbeddedTokenizerFile);
    }

    [Fact]
    public void F32_tensors_come_back_bit_identical_in_hugging_face_order()
    {
        using var dir = new TempDirectory();
        var model = new TinyModel(TinyModel.Llama());
        using var files = ModelFiles.Open(Written(dir, model, GgmlType.F32));
        Assert.Equal(model.Tensors.Select(t => t.Name).Order(), files.Weights.Tensors.Select(t => t.Name).Order());
        foreach (var expected in model.Tensors)
        {
            var actual = files.Weights.Get(expected.Name);
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal(expected.AsFloat32().ToArray(), actual.AsFloat32().ToArray());
        }
    }

    [Fact]
    public void Llama_query_and_key_rows_are_stored_interleaved_as_llama_cpp_expects()
    {
        using var dir = new TempDirectory();
        var model = new TinyModel(TinyModel.Llama());
        using var file = GgufFile.Open(Written(dir, model, GgmlType.F32));
        int headDim = model.Config.HeadDim, columns = model.Config.HiddenSize;
        foreach (var (gguf, hf) in new[] { ("blk.1.attn_q.weight", "model.layers.1.self_attn.q_proj.weight"), ("blk.0.attn_k.weight", "model.layers.0.self_attn.k_proj.weight") })
        {
            Assert.True(file.TryGetTensor(gguf, out var info));
            var stored = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(file.Data(info).Span);
            var original = model.Get(hf).AsFloat32();
            // Head 1: stored row 2i + s holds HF row s·d/2 + i.
            for (int i = 0; i < headDim / 2; i++)
                for (int s = 0; s < 2; s++)
                    Assert.Equal(original.Slice((headDim + s * headDim / 2 + i) * columns, columns).ToArray(),
                        stored.Slice((headDim + 2 * i + s) * columns, columns).ToArray());
        }
    }

    [Fact]
    public void Qwen2_keeps_its_rows_and_reads_its_biases()
    {
        using var dir = new TempDirectory();
        var model = new TinyModel(TinyModel.Qwen2());
        string path = Written(dir, model, GgmlType.F32);
        using (var file = GgufFile.Open(path))
        {
            Assert.True(file.TryGetTensor("blk.0.attn_q.weight", out var q));
            Assert.Equal(model.Get("model.layers.0.self_attn.q_proj.weight").Data.ToArray(), file.Data(q).ToArray());
        }
        using var files = ModelFiles.Open(path);
        Assert.Equal(model.Config, files.Config);
        Assert.True(files.Config.AttentionBias);
        Assert.False(files.Config.OutputProjectionBias);
        Assert.Equal(model.Get("model.layers.1.self_attn.k_proj.bias").AsFloat32().ToArray(),
            files.Weights.Get("model.layers.1.self_attn.k_proj.bias").AsFloat32().ToArray());
    }

    [Fact]
    public void Q8_0_matrices_are_repacked_losslessly_into_the_engines_q8_layout()
    {
        using var dir = new TempDirectory();
        var model = new TinyModel(TinyModel.Llama());
        string path = Written(dir, model, GgmlType.Q8_0);
        using var files = ModelFiles.Open(path);
        using var file = GgufFile.Open(path);
        foreach (var (gguf, hf, heads) in new[] { ("blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight", 4), ("blk.1.ffn_down.weight", "model.layers.1.mlp.down_proj.weight", 0) })
        {
            var q8 = Q8Weight.FromTensors(files.Weights.Get(hf + ".q8"), files.Weights.Get(hf + ".q8_scales"));
            var ours = new float[q8.OutFeatures * q8.InFeatures];
            q8.Dequantize(ours);

            // llama.cpp's dequantization of the stored blocks, rows put back in HF order.
            Assert.True(file.TryGetTensor(gguf, out var info));
            int rows = info.Shape[0], columns = info.Shape[1], rowBytes = columns / 32 * 34, headDim = 16;
            var theirs = new float[rows * columns];
            for (int row = 0; row < rows; row++)
            {
                int stored = heads == 0 ? row : row / headDim * headDim + 2 * (row % headDim % (headDim / 2)) + row % headDim / (headDim / 2);
                GgmlQ8_0.DequantizeRow(file.Data(info).Span.Slice(stored * rowBytes, rowBytes), theirs.AsSpan(row * columns, columns));
            }
            Assert.Equal(theirs, ours);

            // And both stand for the original within half a quantization step (plus the f16 rounding of the scale).
            var original = model.Get(hf).AsFloat32();
            for (int i = 0; i < ours.Length; i++)
                Assert.True(Math.Abs(ours[i] - original[i]) <= q8.Scales[i / 32] * 0.51f + 1e-3f, $"{hf}[{i}]: {ours[i]} vs {original[i]}");
        }
        Assert.Equal(DType.F32, files.Weights.Get("model.layers.0.input_layernorm.weight").Type);
        Assert.False(files.Weights.TryGet("model.layers.0.self_attn.q_proj.weight", out _));
    }

    [Fact]
    public void F16_matrices_view_the_file()
    {
        using var dir = new TempDirectory();
        var model = new TinyModel(TinyModel.Llama());
        using var files = ModelFiles.Open(Written(dir, model, GgmlType.F16));
        var up = files.Weights.Get("model.layers.0.mlp.up_proj.weight");
        Assert.Equal(DType.F16, up.Type);
        Assert.Equal(model.Get("model.layers.0.mlp.up_proj.weight").AsFloat32().ToArray().Select(v => (float)(Half)v), up.ToFloat32());
    }

    [Fact]
    public void A_folder_with_one_gguf_opens_it()
    {
        using var dir = new TempDirectory();
        Written(dir, new TinyModel(TinyModel.Llama()), GgmlType.F32);
        using var files = ModelFiles.Open(dir.Path);
        Assert.Equal(ModelFileFormat.Gguf, files.Format);
        Written(dir, new TinyModel(TinyModel.Llama()), GgmlType.F32, "second.gguf");
        Assert.Contains("several GGUF files", Assert.Throws<ModelFormatException>(() => ModelFiles.Open(dir.Path)).Message);
    }

    private static string Rejected(Action<GgufWriter> write, Action<GgufWriter, TinyModel>? tensors = null)
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.gguf");
        using (var gguf = new GgufWriter(File.Create(path)))
        {
            write(gguf);
            gguf.DeclareTensor("token_embd.weight", GgmlType.F32, 64, 40);
            gguf.WriteHeader();
            gguf.WriteTensorData("token_embd.weight", new byte[64 * 40 * 4]);
        }
        return Assert.Throws<ModelFormatException>(() => ModelFiles.Open(path).Dispose()).Message;
    }

    private static void LlamaKeys(GgufWriter w, string architecture = "llama")
    {
        w.Add("general.architecture", architecture);
        w.Add($"{architecture}.context_length", 128u);
        w.Add($"{architecture}.embedding_length", 64u);
        w.Add($"{architecture}.block_count", 1u);
        w.Add($"{architecture}.feed_forward_length", 96u);
        w.Add($"{architecture}.attention.head_count", 4u);
        w.Add($"{architecture}.attention.layer_norm_rms_epsilon", 1e-5f);
    }

    [Fact]
    public void Unsupported_architecture_names_the_supported_ones() =>
        Assert.Contains("GGUF architecture 'mamba' is not supported; supported: llama, qwen2, qwen3", Rejected(w => LlamaKeys(w, "mamba")));

    [Fact]
    public void Missing_hyperparameter_is_named() =>
        Assert.Contains("'llama.block_count' is missing", Rejected(w =>
        {
            w.Add("general.architecture", "llama");
            w.Add("llama.context_length", 128u);
            w.Add("llama.embedding_length", 64u);
            w.Add("llama.attention.head_count", 4u);
            w.Add("llama.feed_forward_length", 96u);
            w.Add("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        }));

    [Fact]
    public void Hyperparameter_of_the_wrong_type_is_named() =>
        Assert.Contains("'llama.attention.head_count_kv' should be an integer", Rejected(w =>
        {
            LlamaKeys(w);
            w.Add("llama.attention.head_count_kv", "two");
        }));

    [Fact]
    public void Rope_scaling_is_refused_rather_than_ignored() =>
        Assert.Contains("rope.scaling.type 'yarn' is not supported", Rejected(w =>
        {
            LlamaKeys(w);
            w.Add("llama.rope.scaling.type", "yarn");
        }));

    /// <summary>A file whose rope_freqs.weight (RoPE frequency factors) holds <paramref name="factors"/>.</summary>
    private static string RejectedRopeFactors(float[] factors)
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.gguf");
        using (var gguf = new GgufWriter(File.Create(path)))
        {
            LlamaKeys(gguf);
            gguf.DeclareTensor("token_embd.weight", GgmlType.F32, 64, 40);
            gguf.DeclareTensor("rope_freqs.weight", GgmlType.F32, factors.Length);
            gguf.WriteHeader();
            gguf.WriteTensorData("token_embd.weight", new byte[64 * 40 * 4]);
            gguf.WriteTensorData("rope_freqs.weight", System.Runtime.InteropServices.MemoryMarshal.AsBytes(factors.AsSpan()));
        }
        return Assert.Throws<ModelFormatException>(() => ModelFiles.Open(path).Dispose()).Message;
    }

    [Fact]
    public void Rope_frequency_factors_of_the_wrong_shape_are_named() =>
        // 64 features in 4 heads: 8 rotated pairs per head.
        Assert.Contains("rope_freqs.weight is rope_freqs.weight: F32[5]; expected F32[8], one factor per rotated pair", RejectedRopeFactors([1f, 1f, 2f, 4f, 8f]));

    [Fact]
    public void Rope_frequency_factors_must_be_positive_and_finite() =>
        Assert.Contains("RoPE frequency factor 6 is NaN; each must be finite and positive", RejectedRopeFactors([1f, 1f, 1f, 2f, 4f, 8f, float.NaN, 8f]));

    [Fact]
    public void Partial_rotary_is_refused() =>
        Assert.Contains("partial rotary", Rejected(w =>
        {
            LlamaKeys(w);
            w.Add("llama.rope.dimension_count", 8u);
        }));

    [Fact]
    public void Vocab_size_disagreeing_with_the_embedding_is_refused() =>
        Assert.Contains("vocab_size is 50 but token_embd.weight has 40 rows", Rejected(w =>
        {
            LlamaKeys(w);
            w.Add("llama.vocab_size", 50u);
        }));

    [Fact]
    public void Unknown_tensor_types_and_names_are_refused()
    {
        using var dir = new TempDirectory();
        var model = new TinyModel(TinyModel.Llama());
        string path = dir.File("m.gguf");
        GgufModelWriter.Write(path, model.Config, model, GgmlType.F32);
        byte[] bytes = File.ReadAllBytes(path);

        // Rename a tensor in place (same length) to one no model here uses.
        byte[] renamed = Replace(bytes, "blk.0.ffn_up.weight"u8, "blk.0.ffn_xx.weight"u8);
        Assert.Contains("tensor 'blk.0.ffn_xx.weight' has no meaning for a GGUF 'llama' model",
            Assert.Throws<ModelFormatException>(() => ModelFiles.Open(dir.WriteBytes("renamed.gguf", renamed)).Dispose()).Message);
    }

    [Fact]
    public void Quantized_types_the_engine_does_not_load_are_named()
    {
        using var dir = new TempDirectory();
        string path = dir.File("q41.gguf");
        using (var gguf = new GgufWriter(File.Create(path)))
        {
            LlamaKeys(gguf);
            gguf.DeclareTensor("token_embd.weight", GgmlType.Q4_1, 64, 40);
            gguf.WriteHeader();
            gguf.WriteTensorData("token_embd.weight", new byte[2 * 40 * 20]);
        }
        Assert.Contains("'token_embd.weight' is Q4_1; this engine loads F32, F16, BF16, Q8_0",
            Assert.Throws<ModelFormatException>(() => ModelFiles.Open(path).Dispose()).Message);
    }

    private static byte[] Replace(byte[] bytes, ReadOnlySpan<byte> from, ReadOnlySpan<byte> to)
    {
        int at = bytes.AsSpan().IndexOf(from);
        Assert.True(at >= 0);
        var copy = (byte[])bytes.Clone();
        to.CopyTo(copy.AsSpan(at));
        return copy;
    }
}
