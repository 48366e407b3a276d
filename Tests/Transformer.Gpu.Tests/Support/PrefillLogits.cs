using Transformer.Runtime;

namespace Transformer.Gpu.Tests.Support;

/// <summary>A model's logits at every position of one batched prefill, against reference logits.</summary>
public static class PrefillLogits
{
    // The bound for the GPU path: references sum in another order, and the kernels in others still.
    private const float Tolerance = 1e-3f;

    /// <summary>Asserts every logit within the GPU bound of the reference, and writes the largest |diff| to the test output.</summary>
    public static void AssertMatch(DecoderModel model, int[] tokens, float[] expected, ITestOutputHelper output, string label, float tolerance = Tolerance)
    {
        using var sequence = model.CreateSequence();
        var actual = new float[tokens.Length * model.Config.VocabSize];
        sequence.AppendAll(tokens, actual);
        Assert.Equal(expected.Length, actual.Length);
        float maxDiff = 0;
        for (int i = 0; i < expected.Length; i++) maxDiff = MathF.Max(maxDiff, MathF.Abs(expected[i] - actual[i]));
        output.WriteLine($"{label}: max |diff| over {tokens.Length}x{model.Config.VocabSize} logits = {maxDiff:E3}");
        Assert.True(maxDiff <= tolerance, $"{label}: max |diff| {maxDiff} exceeds {tolerance}");
    }
}
