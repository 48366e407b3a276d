using System.Text.Json;
using Transformer.Gpu.Tests.Fixtures;
using Transformer.Gpu.Tests.Support;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Gpu.Memory;
using Transformer.Loader;
using Transformer.Runtime.Llama;
using Transformer.Tests.Shared;

namespace Transformer.Gpu.Tests.Models;

/// <summary>
/// llama.cpp's own Q4_0 and Q4_K_M files (the runtime tests' Fixtures/gguf, written by tools/GgufFixtures) on the ILGPU
/// backend, their matrices kept in blocks on the device: logits against the CPU backend on the same weights widened by
/// the scalar references (float32 rounding apart), against llama.cpp's logits for the file within the CPU backend's
/// bound, and the device holding the blocks' bytes.
/// </summary>
public abstract class BlockQuantModelTests(AcceleratorFixture fixture, ITestOutputHelper output)
{
    /// <summary>The GPU against float32 arithmetic on the same dequantized weights: the f32 fixtures' GPU bound.</summary>
    private const float SameWeightsBound = 1e-3f;

    public static TheoryData<string, string> Files() => new() { { "tiny-llama", "q4_0" }, { "tiny256-llama", "q4_k_m" } };

    [Theory]
    [MemberData(nameof(Files))]
    public void Block_quantized_file_matches_the_cpu_backend_and_llama_cpp(string name, string label)
    {
        var backend = fixture.RequireModelBackend();
        var (path, tokens, theirs) = Fixture(name, label);
        using var gpu = Load(path, backend);
        float[] actual = Logits(gpu, tokens);
        using var widened = Load(path, new DequantizedCpuBackend(), ownsBackend: true);
        float[] sameWeights = Logits(widened, tokens);
        using var cpu = Load(path, new CpuBackend(new CpuBackendOptions { Threads = 1, Isa = CpuIsa.Scalar }), ownsBackend: true);
        float[] cpuBlocks = Logits(cpu, tokens);

        float vsWidened = Measure.MaxDifference(sameWeights, actual), vsLlama = Measure.MaxDifference(theirs, actual);
        float mean = theirs.Zip(actual, (a, b) => MathF.Abs(a - b)).Sum() / theirs.Length;
        output.WriteLine($"{fixture.Name} {name} {label}: max |Δlogit| vs CPU f32 on the dequantized weights {vsWidened:E3}, "
            + $"vs llama.cpp {vsLlama:E3} (mean {mean:E3}; CPU block kernels vs llama.cpp {Measure.MaxDifference(theirs, cpuBlocks):E3}), "
            + $"vs CPU block kernels {Measure.MaxDifference(cpuBlocks, actual):E3}");
        Assert.True(vsWidened <= SameWeightsBound, $"{label}: max |Δlogit| {vsWidened} against the same weights in float32 > {SameWeightsBound}");
        // The runtime tests' bound for the CPU block kernels against llama.cpp on these files.
        Assert.True(vsLlama <= 5e-2f && mean <= 1e-2f, $"{label}: max |Δlogit| {vsLlama}, mean {mean} against llama.cpp");
        int vocab = gpu.Config.VocabSize;
        for (int p = 0; p < tokens.Length; p++)
            Assert.Equal(ArgMax(theirs, p, vocab), ArgMax(actual, p, vocab));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void The_device_holds_the_files_blocks(string name, string label)
    {
        // Every layer matrix stays in its blocks on the device: the bytes a decode step streams are those of the CPU
        // backend's row-major block layout (its scalar path; the x86 paths' 8-row repacks store K-quant scales tighter),
        // under int8's 8.5 bits a weight and float32's 32.
        var backend = fixture.RequireModelBackend();
        var (path, _, _) = Fixture(name, label);
        using var gpu = Load(path, backend);
        using var cpu = Load(path, new CpuBackend(new CpuBackendOptions { Threads = 1, Isa = CpuIsa.Scalar }), ownsBackend: true);
        var layers = gpu.Weights.Layers.SelectMany(l => new[] { l.Query, l.Key, l.Value, l.Output, l.Gate, l.Up, l.Down }).ToArray();
        foreach (var w in layers) Assert.IsAssignableFrom<IlgpuBlockWeight>(w);
        long held = layers.Sum(w => w.ByteSize), weights = layers.Sum(w => (long)w.OutFeatures * w.InFeatures);
        double bitsPerWeight = 8.0 * held / weights;
        output.WriteLine($"{fixture.Name} {name} {label}: layer matrices hold {held} bytes on the device ({bitsPerWeight:F2} bits a weight; "
            + $"int8 {weights + weights / 32 * 4}, float32 {4 * weights}); decode bytes per token GPU {gpu.DecodeBytesPerToken}, CPU {cpu.DecodeBytesPerToken}");
        Assert.Equal(cpu.DecodeBytesPerToken, gpu.DecodeBytesPerToken);
        Assert.True(held < weights + weights / 32 * 4, $"{held} bytes is not under int8's");
        Assert.True(bitsPerWeight <= 7.5, $"{bitsPerWeight:F2} bits a weight");
    }

    private static LlamaModel Load(string path, IBackend backend, bool ownsBackend = false)
    {
        var files = ModelFiles.Open(path);
        return new LlamaModel(files.Config, files.Weights, backend, ownsWeights: true, ownsBackend: ownsBackend);
    }

    private static float[] Logits(LlamaModel model, int[] tokens)
    {
        using var sequence = model.CreateSequence();
        var logits = new float[tokens.Length * model.Config.VocabSize];
        sequence.AppendAll(tokens, logits);
        return logits;
    }

    private static int ArgMax(float[] logits, int row, int vocab)
    {
        var span = logits.AsSpan(row * vocab, vocab);
        int best = 0;
        for (int i = 1; i < span.Length; i++) if (span[i] > span[best]) best = i;
        return best;
    }

    private static (string Path, int[] Tokens, float[] Logits) Fixture(string name, string label)
    {
        string directory = Path.Combine(AppContext.BaseDirectory, "RuntimeFixtures", "gguf");
        var model = ReferenceJson.Load(Path.Combine(directory, "llamacpp-logits.json")).GetProperty("models").EnumerateArray()
            .Single(m => m.GetProperty("name").GetString() == name);
        var file = model.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("label").GetString() == label);
        return (Path.Combine(directory, file.GetProperty("file").GetString()!), ReferenceJson.Ints(model.GetProperty("token_ids")),
            ReferenceJson.FlatFloats(file.GetProperty("logits")));
    }
}

[Collection(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuBlockQuantModelTests(IlgpuCpuFixture fixture, ITestOutputHelper output) : BlockQuantModelTests(fixture, output);

[Collection(nameof(OpenClCollection))]
public sealed class OpenClBlockQuantModelTests(OpenClFixture fixture, ITestOutputHelper output) : BlockQuantModelTests(fixture, output);
