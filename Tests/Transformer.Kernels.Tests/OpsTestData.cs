namespace Transformer.Kernels.Tests;

/// <summary>Deterministic inputs and double-precision helpers for the float op properties.</summary>
internal static class OpsTestData
{
    public static float[] Random(int seed, int length, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    /// <summary>True when every |a − b| ≤ absolute + relative·|b|.</summary>
    public static bool Close(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double absolute, double relative)
    {
        if (actual.Length != expected.Length) return false;
        for (int i = 0; i < actual.Length; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= absolute + relative * Math.Abs(expected[i]))) return false;
        return true;
    }
}
