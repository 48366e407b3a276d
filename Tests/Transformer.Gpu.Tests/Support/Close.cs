namespace Transformer.Gpu.Tests.Support;

/// <summary>Float comparisons with a stated tolerance: GPU kernels sum in a different order than the scalar references.</summary>
public static class Close
{
    /// <summary>Asserts |actual − expected| ≤ absolute + relative·|expected| element-wise, naming the first index that fails.</summary>
    public static void All(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float absolute = 1e-5f, float relative = 1e-4f, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float tolerance = absolute + relative * MathF.Abs(expected[i]);
            if (!(MathF.Abs(actual[i] - expected[i]) <= tolerance))
                Assert.Fail($"{what}[{i}]: expected {expected[i]}, got {actual[i]} (tolerance {tolerance})");
        }
    }

    /// <summary>Element equality within the default tolerance, for <c>Assert.Equal</c> on arrays.</summary>
    public sealed class Comparer(float absolute = 1e-5f, float relative = 1e-4f) : IEqualityComparer<float>
    {
        /// <inheritdoc/>
        public bool Equals(float x, float y) => MathF.Abs(x - y) <= absolute + relative * MathF.Abs(x);

        /// <inheritdoc/>
        public int GetHashCode(float value) => 0;
    }
}
