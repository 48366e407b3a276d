namespace Transformer.Tests.Shared;

/// <summary>Reproducible host arrays for kernel tests: FsCheck generates the seed, so a failing case replays.</summary>
public static class TestArrays
{
    /// <summary>Uniform values in [-scale, scale).</summary>
    public static float[] Uniform(int seed, int length, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }
}
