using System.Numerics.Tensors;
using Transformer.Loader.Config;

namespace Transformer.Runtime.Embeddings;

/// <summary>Pools one sentence's token states [length, hidden] into its vector, as sentence-transformers' Pooling and Normalize modules do.</summary>
public static class EmbeddingPooler
{
    /// <summary>The sentence vector of <paramref name="states"/> (its rows are the sentence's tokens, none padding).</summary>
    public static float[] Pool(ReadOnlySpan<float> states, int hidden, EmbeddingPooling pooling)
    {
        ArgumentNullException.ThrowIfNull(pooling);
        if (hidden <= 0 || states.Length == 0 || states.Length % hidden != 0)
            throw new ArgumentException($"{states.Length} values are not a whole number of rows of {hidden}");
        int length = states.Length / hidden;
        var vector = states[..hidden].ToArray();
        for (int t = 1; t < length && pooling.Mode != PoolingMode.Cls; t++)
        {
            var row = states.Slice(t * hidden, hidden);
            if (pooling.Mode == PoolingMode.Max) TensorPrimitives.Max(vector, row, vector);
            else TensorPrimitives.Add(vector, row, vector);
        }
        if (pooling.Mode == PoolingMode.Mean) TensorPrimitives.Divide(vector, length, vector);
        if (pooling.Normalize)
        {
            // sentence-transformers divides by max(‖v‖, 1e-12), so a zero vector stays zero instead of NaN.
            float norm = MathF.Max(TensorPrimitives.Norm(vector), 1e-12f);
            TensorPrimitives.Divide(vector, norm, vector);
        }
        return vector;
    }
}
