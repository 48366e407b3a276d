namespace Transformer.Bench;

/// <summary>
/// The random weights and activations of one matmul case, made the same way by every suite (same
/// seeds, values in [−1, 1)) so that their figures compare.
/// </summary>
public static class MatMulInputs
{
    /// <summary>Weights [out, in] row-major.</summary>
    public static float[] Weights(MatMulShape shape) => RandomValues(shape.Out * shape.In, seed: 1);

    /// <summary>Activations [tokens, in] row-major.</summary>
    public static float[] Activations(MatMulShape shape, int tokens) => RandomValues(tokens * shape.In, seed: 2);

    /// <summary>Deterministic values in [−1, 1).</summary>
    public static float[] RandomValues(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = 2 * random.NextSingle() - 1;
        return values;
    }
}
