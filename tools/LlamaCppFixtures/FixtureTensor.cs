namespace LlamaCppFixtures;

/// <summary>One tensor of a fixture model: its Hugging Face name, row-major shape and float32 values.</summary>
public sealed record FixtureTensor(string Name, int[] Shape, float[] Values)
{
    /// <summary>Rows of a matrix (1 for a vector).</summary>
    public int Rows => Shape.Length == 1 ? 1 : Shape[0];

    /// <summary>Columns of a matrix (the length of a vector).</summary>
    public int Columns => Shape[^1];
}

/// <summary>Seeded random values with the magnitudes a trained model has, so every weight matters to the logits.</summary>
public sealed class FixtureRandom(int seed)
{
    private readonly Random _random = new(seed);

    /// <summary>A [rows, columns] matrix uniform in ±1/√columns (activations keep their scale through a layer).</summary>
    public FixtureTensor Matrix(string name, int rows, int columns) =>
        new(name, [rows, columns], Uniform(rows * columns, 1 / MathF.Sqrt(columns)));

    /// <summary>A norm's gain: 1 ± 0.3, so a norm applied to the wrong features or not at all shows.</summary>
    public FixtureTensor Gain(string name, int length, float center = 1f) =>
        new(name, [length], Uniform(length, 0.3f).Select(v => center + v).ToArray());

    /// <summary>A bias: ± 0.1.</summary>
    public FixtureTensor Bias(string name, int length) => new(name, [length], Uniform(length, 0.1f));

    /// <summary>A vector of positive factors in [low, high] (RoPE frequency factors).</summary>
    public FixtureTensor Positive(string name, int length, float low, float high) =>
        new(name, [length], Enumerable.Range(0, length).Select(_ => low + (float)_random.NextDouble() * (high - low)).ToArray());

    private float[] Uniform(int count, float bound)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = ((float)_random.NextDouble() * 2 - 1) * bound;
        return values;
    }
}
