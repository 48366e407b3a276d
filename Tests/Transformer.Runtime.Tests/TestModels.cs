using Transformer.Kernels.Cpu;
using Transformer.Loader;
using Transformer.Runtime;
using Transformer.Runtime.Llama;
using Transformer.Tests.Shared;

namespace Transformer.Runtime.Tests;

/// <summary>Loads the models the tests run: stories260K from ../shared and the committed tiny fixtures.</summary>
internal static class TestModels
{
    public static string FixturesDirectory => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string Fixture(string variant) => Path.Combine(FixturesDirectory, variant);

    public static LlamaModel Load(string path, ModelOptions? options = null)
    {
        var files = ModelFiles.Open(path);
        return new LlamaModel(files.Config, files.Weights, new CpuBackend(), options, ownsWeights: true, ownsBackend: true);
    }

    /// <summary>Any supported family, as the CLI and the server load it.</summary>
    public static DecoderModel LoadFamily(string path, ModelOptions? options = null)
    {
        var files = ModelFiles.Open(path);
        try
        {
            return DecoderModels.Create(files.Config, files.Weights, new CpuBackend(), options, ownsWeights: true, ownsBackend: true);
        }
        catch
        {
            files.Dispose();
            throw;
        }
    }

    public static LlamaModel Stories260K(bool fromLlama2cCheckpoint, ModelOptions? options = null)
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        return Load(fromLlama2cCheckpoint ? SharedModels.Stories260KFile("stories260K.bin") : SharedModels.Stories260K, options);
    }

    /// <summary>Logits after every token of a sequence, computed in one batched pass.</summary>
    public static float[] AllLogits(DecoderModel model, int[] tokens)
    {
        using var sequence = model.CreateSequence();
        var logits = new float[tokens.Length * model.Config.VocabSize];
        sequence.AppendAll(tokens, logits);
        return logits;
    }

    public static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = MathF.Max(max, MathF.Abs(a[i] - b[i]));
        return max;
    }
}
