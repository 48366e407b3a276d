using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Tensors;
using Transformer.Loader;
using Transformer.Loader.Gguf;
using Transformer.Runtime;
using Transformer.Runtime.Llama;

namespace Transformer.Cli.Tests;

/// <summary><c>transformer quantize</c> writes a model that loads pre-quantized and computes what quantize-at-load does.</summary>
public sealed class QuantizeCommandTests : IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), "transformer-quantize-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_output)) Directory.Delete(_output, recursive: true);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("q8_0")]
    [InlineData("q4_0")]
    [InlineData("q4_k_m")] // rows of 64: llama.cpp's Q5_0/Q8_0 fallbacks, held as int8
    public async Task A_quantized_stories260K_loads_without_requantizing_and_gives_bitwise_the_same_logits(string? type)
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        string source = GreedyCases.ModelPath("safetensors");
        bool q4 = type == "q4_0", q4km = type == "q4_k_m";
        string[] typeArgs = type is null ? [] : ["--type", type];

        var result = await CliRun.InvokeAsync(["quantize", "--model", source, "--out", _output, .. typeArgs]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains(q4 ? "as 4-bit (Q4_0)" : q4km ? "as Q4_K_M" : "as int8", result.Output);
        foreach (string file in new[] { "model.safetensors", "config.json", "tok512.model", "tok512.bin" })
            Assert.True(File.Exists(Path.Combine(_output, file)), $"{file} was not written");

        int[] tokens = [1, 403, 407, 261, 378, 13, 400, 50, 9, 511];
        using (var files = ModelFiles.Open(_output))
        {
            var names = files.Weights.Tensors.Select(t => t.Name).ToHashSet();
            string suffix = q4 ? ".q4" : ".q8";
            Assert.Contains("model.layers.0.self_attn.q_proj.weight" + suffix, names);
            Assert.Contains("model.layers.0.self_attn.q_proj.weight" + suffix + "_scales", names);
            Assert.DoesNotContain("model.layers.0.self_attn.q_proj.weight", names);
            Assert.Equal(q4 ? DType.U8 : DType.I8, files.Weights.Get("model.layers.0.mlp.up_proj.weight" + suffix).Type);
        }

        // The pre-quantized model is asked for F32: its quantized tensors are used as stored regardless.
        var format = q4 ? WeightFormat.Q4 : q4km ? WeightFormat.Q4KM : WeightFormat.Q8;
        float[] preQuantized = Logits(_output, WeightFormat.F32, tokens, out var layer0);
        float[] atLoad = Logits(source, format, tokens, out _);
        Assert.Equal(q4 ? WeightFormat.Q4 : WeightFormat.Q8, layer0);
        if (q4km)
        {
            using var files = ModelFiles.Open(_output);
            Assert.Equal(DType.F16, files.Weights.Get("model.layers.0.mlp.down_proj.weight").Type); // rows of 172 fit no block
        }
        Assert.Equal(atLoad, preQuantized);
    }

    [Fact]
    public async Task Run_uses_the_quantized_model_and_its_copied_tokenizer()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        Assert.Equal(0, (await CliRun.InvokeAsync("quantize", "--model", GreedyCases.ModelPath("safetensors"), "--out", _output)).ExitCode);

        var result = await CliRun.InvokeAsync("run", "--model", _output, "--prompt", "Once upon a time", "--temperature", "0", "-n", "16");

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("Once upon a time", result.Output);
        Assert.True(result.Output.Length > "Once upon a time".Length);
    }

    [Fact]
    public async Task A_llama2c_checkpoint_is_refused_with_the_reason()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        var result = await CliRun.InvokeAsync("quantize", "--model", GreedyCases.ModelPath("bin"), "--out", _output);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("llama2.c", result.StandardError);
    }

    [Fact]
    public async Task An_already_quantized_model_is_refused_with_the_reason()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        Assert.Equal(0, (await CliRun.InvokeAsync("quantize", "--model", GreedyCases.ModelPath("safetensors"), "--out", _output)).ExitCode);
        string again = _output + "-again";

        var result = await CliRun.InvokeAsync("quantize", "--model", _output, "--out", again);

        Assert.Equal(CliErrors.Failure, result.ExitCode);
        string error = Assert.Single(result.ErrorLines);
        Assert.Contains("already quantized to int8 (Q8)", error);
        Assert.Contains(_output, error);
        Assert.False(Directory.Exists(again), "nothing is written for a refused model");
    }

    [Theory]
    [InlineData("phi3", "q8_0")]   // fused qkv_proj / gate_up_proj: the stored rows are split as the float ones are
    [InlineData("qwen3", "q8_0")]
    [InlineData("gemma2", "q8_0")]
    [InlineData("phi3", "q4_0")]
    [InlineData("qwen3", "q4_0")]
    [InlineData("gemma2", "q4_0")]
    [InlineData("qwen3", "q4_k_m")]
    [InlineData("gemma2", "q4_k_m")]
    public async Task Other_families_load_quantized_and_give_bitwise_the_logits_of_quantize_at_load(string arch, string type)
    {
        string source = Path.Combine(RepositoryPaths.Root, "Tests", "Transformer.Runtime.Tests", "Fixtures", "llamacpp", arch);

        var result = await CliRun.InvokeAsync("quantize", "--model", source, "--out", _output, "--type", type);

        Assert.Equal(0, result.ExitCode);
        int[] tokens = [1, 17, 42, 5, 63, 30, 8, 21];
        var format = type switch { "q4_0" => WeightFormat.Q4, "q4_k_m" => WeightFormat.Q4KM, _ => WeightFormat.Q8 };
        Assert.Equal(FamilyLogits(source, format, tokens), FamilyLogits(_output, WeightFormat.F32, tokens));
        Assert.NotEqual(FamilyLogits(source, WeightFormat.F32, tokens), FamilyLogits(_output, WeightFormat.F32, tokens));
    }

    [Fact]
    public async Task A_fused_qkv_whose_parts_q4_k_m_types_differently_is_refused_naming_it()
    {
        // Phi-3's second of two layers is a use_more_bits one: its v rows would be Q6_K (here Q8_0), its q and k rows Q4_K (Q5_0).
        string source = Path.Combine(RepositoryPaths.Root, "Tests", "Transformer.Runtime.Tests", "Fixtures", "llamacpp", "phi3");
        var result = await CliRun.InvokeAsync("quantize", "--model", source, "--out", _output, "--type", "q4_k_m");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("model.layers.1.self_attn.qkv_proj.weight", result.StandardError);
        Assert.False(File.Exists(Path.Combine(_output, "model.safetensors")));
    }

    /// <summary>
    /// Rows of 256 (the synthetic tiny256-llama of tools/GgufFixtures as a Hugging Face folder): q4_k_m stores real
    /// Q4_K and Q6_K matrices in the K-quant layout, and loading them gives bitwise the logits of <c>--quant q4_k_m</c>.
    /// </summary>
    [Fact]
    public async Task A_q4_k_m_folder_with_whole_super_blocks_stores_q4_k_and_q6_k_and_gives_the_logits_of_quantize_at_load()
    {
        string source = _output + "-source";
        WriteTiny256Folder(source);
        try
        {
            var result = await CliRun.InvokeAsync("quantize", "--model", source, "--out", _output, "--type", "q4_k_m");
            Assert.Equal(0, result.ExitCode);
            using (var files = ModelFiles.Open(_output))
            {
                var names = files.Weights.Tensors.Select(t => t.Name).ToHashSet();
                Assert.Contains("model.layers.0.self_attn.q_proj.weight" + GgufKQuants.Q4KCodesSuffix, names);
                Assert.Contains("model.layers.0.self_attn.v_proj.weight" + GgufKQuants.Q6KBlocksSuffix, names); // a use_more_bits layer
                Assert.Contains("lm_head.weight" + GgufKQuants.Q6KBlocksSuffix, names);
                Assert.DoesNotContain("model.layers.0.self_attn.q_proj.weight", names);
            }
            int[] tokens = [1, 300, 17, 42, 299, 5, 260, 123];
            float[] preQuantized = Logits(_output, WeightFormat.F32, tokens, out var layer0);
            Assert.Equal(WeightFormat.Q4K, layer0);
            Assert.Equal(Logits(source, WeightFormat.Q4KM, tokens, out _), preQuantized);
        }
        finally
        {
            Directory.Delete(source, recursive: true);
        }
    }

    private static void WriteTiny256Folder(string folder)
    {
        using var gguf = GgufFile.Open(Path.Combine(RepositoryPaths.Root, "Tests", "Transformer.Runtime.Tests", "Fixtures", "gguf", "tiny256-llama-q4_k_m.gguf"));
        var c = GgufModelConfig.Read(gguf);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), string.Create(System.Globalization.CultureInfo.InvariantCulture, $$"""
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": {{c.HiddenSize}}, "intermediate_size": {{c.IntermediateSize}},
             "num_hidden_layers": {{c.NumLayers}}, "num_attention_heads": {{c.NumHeads}}, "num_key_value_heads": {{c.NumKvHeads}}, "head_dim": {{c.HeadDim}},
             "vocab_size": {{c.VocabSize}}, "max_position_embeddings": {{c.MaxPositions}}, "rms_norm_eps": {{c.RmsNormEps:R}}, "rope_theta": {{c.RopeTheta:R}},
             "tie_word_embeddings": false}
            """));
        using var weights = new Runtime.Synthetic.SyntheticWeightSource(c, 0x6776);
        Loader.Safetensors.SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), [.. weights.Tensors]);
    }

    private static float[] FamilyLogits(string path, WeightFormat format, int[] tokens)
    {
        var files = ModelFiles.Open(path);
        using var model = DecoderModels.Create(files.Config, files.Weights, new CpuBackend(), new ModelOptions { WeightFormat = format }, ownsWeights: true, ownsBackend: true);
        using var sequence = model.CreateSequence(tokens.Length);
        var logits = new float[tokens.Length * model.Config.VocabSize];
        sequence.AppendAll(tokens, logits);
        return logits;
    }

    private static float[] Logits(string path, WeightFormat format, int[] tokens, out WeightFormat firstLayerFormat)
    {
        var files = ModelFiles.Open(path);
        using var model = new LlamaModel(files.Config, files.Weights, new CpuBackend(), new ModelOptions { WeightFormat = format }, ownsWeights: true, ownsBackend: true);
        firstLayerFormat = model.Weights.Layers[0].Query.Format;
        using var sequence = model.CreateSequence(tokens.Length);
        var logits = new float[tokens.Length * model.Config.VocabSize];
        sequence.AppendAll(tokens, logits);
        return logits;
    }
}
