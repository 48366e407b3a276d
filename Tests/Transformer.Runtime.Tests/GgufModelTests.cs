using Transformer.Kernels.Cpu;
using Transformer.Kernels.Tensors;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Loader.Gguf;
using Transformer.Loader.Llama2c;
using Transformer.Runtime.Generation;
using Transformer.Runtime.Llama;
using Transformer.Runtime.Synthetic;
using Transformer.Text;
using Transformer.Tokenizers.Gguf;

namespace Transformer.Runtime.Tests;

/// <summary>
/// Models run from GGUF files compute what the same weights compute from their usual files: stories260K converted
/// from llama2.c's checkpoint against run.c's reference outputs, and synthetic models bit for bit.
/// </summary>
public sealed class GgufModelTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "transformer-gguf-runtime-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { /* a still-mapped file on some platforms */ }
    }

    /// <summary>stories260K.bin (interleaved rows, as llama.cpp wants them) and tok512.model written as one GGUF file.</summary>
    private string Stories260KGguf(GgmlType matrices)
    {
        Directory.CreateDirectory(_dir);
        string checkpoint = SharedModels.Stories260KFile("stories260K.bin"), tokenizer = SharedModels.Stories260KFile("tok512.model");
        string path = Path.Combine(_dir, $"stories260K-{matrices}.gguf");
        using var source = Llama2cCheckpoint.Open(checkpoint);
        GgufModelWriter.Write(path, source.Config, source, matrices, w => GgufTokenizerMetadata.AddSentencePiece(w, File.ReadAllBytes(tokenizer), tokenizer));
        return path;
    }

    [Fact]
    public void Stories260K_gguf_logits_match_run_c_and_equal_the_safetensors_model_bit_for_bit()
    {
        using var gguf = TestModels.Load(Stories260KGguf(GgmlType.F32));
        using var safetensors = TestModels.Stories260K(fromLlama2cCheckpoint: false);
        var reference = ReferenceJson.Load(SharedModels.Stories260KFile("reference/logits.json"));
        int[] tokens = ReferenceJson.Ints(reference.GetProperty("token_ids"));
        float[] expected = ReferenceJson.FlatFloats(reference.GetProperty("logits"));

        float[] actual = TestModels.AllLogits(gguf, tokens);
        float diff = TestModels.MaxAbsDiff(expected, actual);
        output.WriteLine($"GGUF F32 vs run.c: max |diff| {diff:E3}");
        Assert.True(diff <= 1e-4f, $"max |diff| {diff} exceeds 1e-4");
        // Undoing llama.cpp's row order gives exactly the Hugging Face weights, so exactly the same logits.
        Assert.Equal(TestModels.AllLogits(safetensors, tokens), actual);
    }

    [Fact]
    public void Stories260K_gguf_greedy_continuations_match_run_c()
    {
        using var model = TestModels.Load(Stories260KGguf(GgmlType.F32));
        foreach (var reference in ReferenceJson.Load(SharedModels.Stories260KFile("reference/greedy.json")).EnumerateArray())
        {
            int[] prompt = ReferenceJson.Ints(reference.GetProperty("prompt_token_ids"));
            int[] expected = ReferenceJson.Ints(reference.GetProperty("generated_token_ids"));
            using var sequence = model.CreateSequence();
            var options = new GenerationOptions { MaxNewTokens = expected.Length, Sampling = Sampling.SamplingOptions.Greedy, StopAtEos = false };
            Assert.Equal(expected, TokenGenerator.Generate(sequence, prompt, options, [], cancellation: TestContext.Current.CancellationToken).ToArray());
        }
    }

    [Fact]
    public void A_gguf_file_is_a_language_model_with_its_own_tokenizer()
    {
        using var model = LanguageModel.Load(Stories260KGguf(GgmlType.F32));
        Assert.Equal([1, 403, 407, 261, 378], model.Encode("Once upon a time"));
        var reference = ReferenceJson.Load(SharedModels.Stories260KFile("reference/greedy.json"))[0];
        string text = model.Complete("Once upon a time", new GenerationOptions { MaxNewTokens = 64, Sampling = Sampling.SamplingOptions.Greedy, StopAtEos = false }, cancellation: TestContext.Current.CancellationToken);
        Assert.Equal(reference.GetProperty("generated_text").GetString(), text);
    }

    [Fact]
    public void Stories260K_q8_0_gguf_stays_close_to_f32()
    {
        // ffn_down's rows (172 values) are not whole Q8_0 blocks, so the writer keeps them F16, as llama.cpp's quantizer does.
        string path = Stories260KGguf(GgmlType.Q8_0);
        using (var file = GgufFile.Open(path))
        {
            Assert.True(file.TryGetTensor("blk.0.ffn_down.weight", out var down) && down.Type == GgmlType.F16);
            Assert.True(file.TryGetTensor("blk.0.attn_q.weight", out var q) && q.Type == GgmlType.Q8_0);
        }
        using var q8 = TestModels.Load(path);
        using var f32 = TestModels.Stories260K(fromLlama2cCheckpoint: true);
        var reference = ReferenceJson.Load(SharedModels.Stories260KFile("reference/logits.json"));
        int[] tokens = ReferenceJson.Ints(reference.GetProperty("token_ids"));
        var metrics = Int8AccuracyMetrics.Compare(TestModels.AllLogits(f32, tokens), TestModels.AllLogits(q8, tokens), f32.Config.VocabSize);
        output.WriteLine($"Q8_0 GGUF vs F32: {metrics}");
        Assert.True(metrics.Top1Agreement >= 0.9, metrics.ToString());
    }

    public static TheoryData<string> Architectures => ["LlamaForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM"];

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Synthetic_f32_gguf_equals_the_in_memory_model_bit_for_bit(string architecture)
    {
        var config = SyntheticPresets.Get("tiny") with { Architecture = architecture };
        if (architecture == "Qwen2ForCausalLM") config = config with { AttentionBias = true, OutputProjectionBias = false };
        Directory.CreateDirectory(_dir);
        string path = Path.Combine(_dir, "synthetic.gguf");
        using (var weights = new SyntheticWeightSource(config, seed: 11)) GgufModelWriter.Write(path, config, weights, GgmlType.F32);

        using var fromGguf = TestModels.Load(path);
        using var inMemory = new LlamaModel(config, new SyntheticWeightSource(config, seed: 11), new CpuBackend(), ownsWeights: true, ownsBackend: true);
        int[] tokens = [1, 5, 9, 2, 30, 7, 7, 100 % config.VocabSize];
        Assert.Equal(TestModels.AllLogits(inMemory, tokens), TestModels.AllLogits(fromGguf, tokens));
    }

    [Fact]
    public void A_llama3_scaled_model_round_trips_through_rope_freqs()
    {
        // tiny's 8 pairs have wavelengths of 6 to 19 869 positions: below 256 kept, 628 blended, beyond 1024 divided by 8.
        var config = SyntheticPresets.Get("tiny") with { RopeScaling = new RopeScaling(8f, 1f, 4f, 1024) };
        Directory.CreateDirectory(_dir);
        string path = Path.Combine(_dir, "llama3-scaled.gguf");
        using (var weights = new SyntheticWeightSource(config, seed: 12)) GgufModelWriter.Write(path, config, weights, GgmlType.F32);

        ModelConfig read;
        using (var file = GgufFile.Open(path))
        {
            Assert.True(file.TryGetTensor("rope_freqs.weight", out var tensor));
            Assert.Equal(GgmlType.F32, tensor.Type);
            read = GgufModelConfig.Read(file);
        }
        var factors = read.RopeFrequencyFactors ?? throw new Xunit.Sdk.XunitException("no RoPE frequency factors read");
        Assert.Equal([1f, 1f, 1f, 1f], factors.Take(4));
        Assert.InRange(factors[4], 1.01f, 7.99f);
        Assert.Equal([8f, 8f, 8f], factors.Skip(5));
        float[] expected = RotaryFrequencies.Compute(config), actual = RotaryFrequencies.Compute(read);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], expected[i] * 1e-6f);

        using var fromGguf = TestModels.Load(path);
        using var inMemory = new LlamaModel(config, new SyntheticWeightSource(config, seed: 12), new CpuBackend(), ownsWeights: true, ownsBackend: true);
        int[] tokens = [1, 5, 9, 2, 30, 7, 7, 100];
        Assert.True(TestModels.MaxAbsDiff(TestModels.AllLogits(inMemory, tokens), TestModels.AllLogits(fromGguf, tokens)) < 1e-4f);
    }
}
