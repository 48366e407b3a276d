using ILGPU;
using ILGPU.Algorithms;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>One-thread-per-element kernels: SwiGLU, GeGLU, GELU, scale, soft cap, residual add, bias add, embedding gather, row gather.</summary>
internal static class ElementwiseKernels
{
    // Abramowitz and Stegun 7.1.26, the erfc of the CPU's Ops.Gelu: erfc(z) ≈ (a1·t + … + a5·t⁵)·exp(−z²),
    // t = 1 / (1 + p·z), z ≥ 0, absolute error ≤ 1.5e-7. ILGPU has no erf.
    private const float ErfcP = 0.3275911f;
    private const float ErfcA1 = 0.254829592f, ErfcA2 = -0.284496736f, ErfcA3 = 1.421413741f, ErfcA4 = -1.453152027f, ErfcA5 = 1.061405429f;

    /// <summary>output[i] = silu(gate[i]) · up[i], silu(g) = g / (1 + e^−g).</summary>
    public static void SwiGlu(Index1D i, ArrayView<float> gate, ArrayView<float> up, ArrayView<float> output)
    {
        float g = gate[i];
        output[i] = g / (1f + XMath.Exp(-g)) * up[i];
    }

    /// <summary>output[i] = gelu_tanh(gate[i]) · up[i] (GeGLU, as the CPU's Ops.GeGlu).</summary>
    public static void GeGlu(Index1D i, ArrayView<float> gate, ArrayView<float> up, ArrayView<float> output)
    {
        float g = gate[i];
        float inner = 0.7978845608f * (g + 0.044715f * g * g * g); // √(2/π) · (g + κ·g³)
        output[i] = 0.5f * g * (1f + XMath.Tanh(inner)) * up[i];
    }

    /// <summary>output[i] = x·Φ(x) = ½·x·(1 + erf(x/√2)), the exact GELU (BERT); output may be input.</summary>
    public static void Gelu(Index1D i, ArrayView<float> input, ArrayView<float> output)
    {
        float x = input[i];
        float z = XMath.Abs(x) * 0.70710678f;                        // |x| / √2
        float t = 1f / (1f + ErfcP * z);
        float tail = (((ErfcA5 * t + ErfcA4) * t + ErfcA3) * t + ErfcA2) * t + ErfcA1;
        float lowerTail = 0.5f * tail * t * XMath.Exp(-z * z);      // Φ(−|x|) = ½·erfc(|x|/√2)
        float phi = x < 0 ? lowerTail : 1f - lowerTail;
        output[i] = x * phi;
    }

    /// <summary>x[i] *= factor.</summary>
    public static void Scale(Index1D i, ArrayView<float> x, float factor) => x[i] *= factor;

    /// <summary>x[i] = cap · tanh(x[i] / cap).</summary>
    public static void SoftCap(Index1D i, ArrayView<float> x, float cap) => x[i] = cap * XMath.Tanh(x[i] / cap);

    /// <summary>x[i] += y[i].</summary>
    public static void Add(Index1D i, ArrayView<float> x, ArrayView<float> y) => x[i] += y[i];

    /// <summary>x[i] += bias[i mod columns]: the same bias row added to every row.</summary>
    public static void AddBias(Index1D i, ArrayView<float> x, ArrayView<float> bias, int columns) => x[i] += bias[i % columns];

    /// <summary>output[t, c] = table[tokens[t], c]; index = (t, c).</summary>
    public static void Embed(Index2D index, ArrayView<float> table, ArrayView<int> tokens, ArrayView<float> output, int columns)
    {
        int t = index.X, c = index.Y;
        output[t * columns + c] = table[tokens[t] * columns + c];
    }

    /// <summary>destination[r, c] = source[rows[r], c]; index = (r, c).</summary>
    public static void GatherRows(Index2D index, ArrayView<float> source, ArrayView<int> rows, ArrayView<float> destination, int columns)
    {
        int r = index.X, c = index.Y;
        destination[r * columns + c] = source[rows[r] * columns + c];
    }
}
