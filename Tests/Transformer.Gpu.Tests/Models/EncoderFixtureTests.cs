using System.Numerics.Tensors;
using Transformer.Gpu.Tests.Fixtures;
using Transformer.Gpu.Tests.Support;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime;
using Transformer.Runtime.Embeddings;
using Transformer.Tests.Shared;

namespace Transformer.Gpu.Tests.Models;

/// <summary>
/// The encoders (BERT: LayerNorm, erf GELU, bidirectional attention; nomic-bert: RoPE, SwiGLU, no biases) on the ILGPU
/// backend, against the PyTorch reference states the runtime tests hold the CPU backend to (tools/reference), within the
/// CPU's bound, and against the CPU scalar backend on the same weights.
/// </summary>
public abstract class EncoderFixtureTests(AcceleratorFixture fixture, ITestOutputHelper output)
{
    /// <summary>The runtime tests' bound for the CPU backend against PyTorch.</summary>
    private const float Bound = 1e-4f;

    public static TheoryData<string> Encoders() => new("bert", "nomic-bert");

    private sealed record Case(int[] Tokens, int[] Types, float[] States, float[] MeanNormalized);

    [Theory]
    [MemberData(nameof(Encoders))]
    public void Packed_batch_matches_pytorch_and_the_cpu_backend(string encoder)
    {
        var backend = fixture.RequireModelBackend();
        var cases = Cases(encoder);
        float[] expected = cases.SelectMany(c => c.States).ToArray();
        using var model = Load(encoder, backend);
        float[] states = Encode(model, cases);
        using var cpu = Load(encoder, new CpuBackend(new CpuBackendOptions { Threads = 1, Isa = CpuIsa.Scalar }), ownsBackend: true);
        float[] cpuStates = Encode(cpu, cases);
        float vsPyTorch = Measure.MaxDifference(expected, states), vsCpu = Measure.MaxDifference(cpuStates, states);
        output.WriteLine($"{fixture.Name} {encoder} f32: max |Δ| vs PyTorch {vsPyTorch:E3} (CPU scalar {Measure.MaxDifference(expected, cpuStates):E3}), vs CPU scalar {vsCpu:E3}");
        Assert.True(vsPyTorch <= Bound, $"{encoder}: max |Δ| {vsPyTorch:g3} vs PyTorch > {Bound:g1}");
        Assert.True(vsCpu <= Bound, $"{encoder}: max |Δ| {vsCpu:g3} vs the CPU backend > {Bound:g1}");
    }

    [Theory]
    [MemberData(nameof(Encoders))]
    public void Pooled_vectors_match_pytorch_and_a_sentence_alone_gives_its_batch_bits(string encoder)
    {
        // The kernel-test backend (16-thread groups on the emulator), so the reductions run with many threads.
        var backend = fixture.Require();
        var cases = Cases(encoder);
        var pooling = EmbeddingPooling.Read(Path.Combine(AppContext.BaseDirectory, "RuntimeFixtures", encoder));
        using var model = Load(encoder, backend);
        float[] batch = Encode(model, cases);
        int offset = 0;
        float worst = 0;
        foreach (var c in cases)
        {
            float[] alone = model.Encode([c.Tokens], [c.Types]);
            Assert.Equal(batch.AsSpan(offset, alone.Length).ToArray(), alone);
            offset += alone.Length;
            worst = MathF.Max(worst, Measure.MaxDifference(c.MeanNormalized, EmbeddingPooler.Pool(alone, model.HiddenSize, pooling)));
        }
        output.WriteLine($"{fixture.Name} {encoder} pooled ({pooling.Mode}, normalized {pooling.Normalize}): max |Δ| vs PyTorch {worst:E3}");
        Assert.True(worst <= Bound, $"{encoder}: pooled max |Δ| {worst:g3} > {Bound:g1}");
    }

    [Theory]
    [MemberData(nameof(Encoders))]
    public void Int8_weights_keep_every_token_state_pointing_the_same_way(string encoder)
    {
        // The runtime tests' int8 bound: per-token cosine ≥ 0.99 against PyTorch f32.
        var backend = fixture.RequireModelBackend();
        var cases = Cases(encoder);
        float[] expected = cases.SelectMany(c => c.States).ToArray();
        using var model = Load(encoder, backend, format: WeightFormat.Q8);
        float[] states = Encode(model, cases);
        int hidden = model.HiddenSize;
        double worst = Enumerable.Range(0, states.Length / hidden).Min(t =>
            TensorPrimitives.CosineSimilarity(states.AsSpan(t * hidden, hidden), expected.AsSpan(t * hidden, hidden)));
        output.WriteLine($"{fixture.Name} {encoder} int8: lowest per-token cosine vs PyTorch f32 {worst:F5}");
        Assert.True(worst >= 0.99, $"{encoder} int8: lowest per-token cosine {worst:F5}");
    }

    private static float[] Encode(EncoderModel model, IReadOnlyList<Case> cases) =>
        model.Encode(cases.Select(c => (IReadOnlyList<int>)c.Tokens).ToArray(), cases.Select(c => (IReadOnlyList<int>)c.Types).ToArray());

    private static EncoderModel Load(string encoder, IBackend backend, WeightFormat format = WeightFormat.F32, bool ownsBackend = false)
    {
        var files = EncoderFiles.Open(Path.Combine(AppContext.BaseDirectory, "RuntimeFixtures", encoder));
        return EncoderModel.Create(files.Config, files.Weights, backend, new ModelOptions { WeightFormat = format }, ownsWeights: true, ownsBackend: ownsBackend);
    }

    private static IReadOnlyList<Case> Cases(string encoder) =>
        ReferenceJson.Load(Path.Combine(AppContext.BaseDirectory, "RuntimeFixtures", encoder, "reference.json")).GetProperty("cases").EnumerateArray()
            .Select(c => new Case(ReferenceJson.Ints(c.GetProperty("token_ids")), ReferenceJson.Ints(c.GetProperty("token_types")),
                ReferenceJson.FlatFloats(c.GetProperty("last_hidden_state")),
                c.GetProperty("pooled").GetProperty("mean_normalized").EnumerateArray().Select(e => e.GetSingle()).ToArray()))
            .ToArray();
}

[Collection(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuEncoderFixtureTests(IlgpuCpuFixture fixture, ITestOutputHelper output) : EncoderFixtureTests(fixture, output);

[Collection(nameof(OpenClCollection))]
public sealed class OpenClEncoderFixtureTests(OpenClFixture fixture, ITestOutputHelper output) : EncoderFixtureTests(fixture, output);
