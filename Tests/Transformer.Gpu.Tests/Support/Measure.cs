namespace Transformer.Gpu.Tests.Support;

/// <summary>Figures the tests print beside their bounds.</summary>
public static class Measure
{
    /// <summary>max |actual − expected| over two arrays of the same length.</summary>
    public static float MaxDifference(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = MathF.Max(worst, MathF.Abs(actual[i] - expected[i]));
        return worst;
    }
}
