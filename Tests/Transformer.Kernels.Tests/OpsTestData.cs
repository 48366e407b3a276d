namespace Transformer.Kernels.Tests;

/// <summary>Double-precision comparison for the float op properties.</summary>
internal static class OpsTestData
{
    /// <summary>True when every |a − b| ≤ absolute + relative·|b|.</summary>
    public static bool Close(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double absolute, double relative)
    {
        if (actual.Length != expected.Length) return false;
        for (int i = 0; i < actual.Length; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= absolute + relative * Math.Abs(expected[i]))) return false;
        return true;
    }
}
