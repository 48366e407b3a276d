using System.Runtime.Intrinsics;

namespace Transformer.Kernels.Quantized;

/// <summary>
/// Activations [tokens, K] quantized per token and per block of 32 along K, the right-hand
/// operand of the int8 matmul. Quantized once per matmul input and shared by every weight that
/// reads the same input (Q, K and V; gate and up). The buffers grow to the largest token count
/// seen and are then reused, so steady-state decoding allocates nothing.
/// </summary>
public sealed class Q8Activations
{
    private sbyte[] _values;
    private float[] _scales;
    private float[] _scaledSums = [];
    private bool _sumsCurrent;
    private int[] _offsetSums = [];
    private bool _offsetsCurrent;
    private int[] _subBlockSums = [];
    private bool _subBlockSumsCurrent;

    /// <summary>Creates buffers for up to <paramref name="initialTokens"/> tokens of <paramref name="features"/> values.</summary>
    /// <exception cref="ArgumentException">features is not a positive multiple of 32.</exception>
    public Q8Activations(int features, int initialTokens = 1)
    {
        BlocksPerRow = Q8Format.BlocksPerRow(features);
        ArgumentOutOfRangeException.ThrowIfNegative(initialTokens);
        Features = features;
        _values = new sbyte[(long)initialTokens * features];
        _scales = new float[(long)initialTokens * BlocksPerRow];
    }

    /// <summary>Values per token: K.</summary>
    public int Features { get; }

    /// <summary>Scales per token: K / 32.</summary>
    public int BlocksPerRow { get; }

    /// <summary>Tokens held since the last <see cref="Quantize"/>.</summary>
    public int Tokens { get; private set; }

    /// <summary>Quantized values [Tokens, K].</summary>
    public ReadOnlySpan<sbyte> Values => _values.AsSpan(0, Tokens * Features);

    /// <summary>Scales [Tokens, K/32].</summary>
    public ReadOnlySpan<float> Scales => _scales.AsSpan(0, Tokens * BlocksPerRow);

    /// <summary>Quantizes <paramref name="tokens"/> rows of <paramref name="x"/> ([tokens, K], row-major).</summary>
    /// <exception cref="ArgumentException">The input does not hold tokens·K values, or holds a NaN or infinity.</exception>
    public void Quantize(ReadOnlySpan<float> x, int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        if (x.Length != (long)tokens * Features)
            throw new ArgumentException($"activations hold {x.Length} values, expected [{tokens}, {Features}]", nameof(x));
        if ((long)tokens * Features > _values.Length)
        {
            _values = new sbyte[(long)tokens * Features];
            _scales = new float[(long)tokens * BlocksPerRow];
        }
        for (int t = 0; t < tokens; t++)
            Q8Format.QuantizeRow(x.Slice(t * Features, Features), _values.AsSpan(t * Features, Features),
                _scales.AsSpan(t * BlocksPerRow, BlocksPerRow));
        Tokens = tokens;
        _sumsCurrent = false;
        _offsetsCurrent = false;
        _subBlockSumsCurrent = false;
    }

    /// <summary>
    /// Per token and block, scale · Σ q: what a weight with a per-block minimum (Q4_K's dmin·m) subtracts, times that
    /// minimum. Computed on the first call after <see cref="Quantize"/> (not thread-safe: call it before dispatching
    /// work that reads it), [Tokens, K/32].
    /// </summary>
    public ReadOnlySpan<float> ScaledSums()
    {
        int count = Tokens * BlocksPerRow;
        if (!_sumsCurrent)
        {
            if (_scaledSums.Length < count) _scaledSums = new float[_scales.Length];
            var values = Values;
            for (int b = 0; b < count; b++)
            {
                _scaledSums[b] = _scales[b] * Sum(values.Slice(b * Q8Format.BlockSize, Q8Format.BlockSize));
            }
            _sumsCurrent = true;
        }
        return _scaledSums.AsSpan(0, count);
    }

    /// <summary>
    /// Per token and block, −128 · Σ q: what a dot of w + 128 (the unsigned weights of
    /// <see cref="Q8InterleavedWeight"/>) with these values is off by. Computed on the first call after
    /// <see cref="Quantize"/> (not thread-safe: call it before dispatching work that reads it), [Tokens, K/32].
    /// </summary>
    public ReadOnlySpan<int> OffsetSums()
    {
        int count = Tokens * BlocksPerRow;
        if (!_offsetsCurrent)
        {
            if (_offsetSums.Length < count) _offsetSums = new int[_scales.Length];
            var values = Values;
            for (int b = 0; b < count; b++)
            {
                _offsetSums[b] = -128 * Sum(values.Slice(b * Q8Format.BlockSize, Q8Format.BlockSize));
            }
            _offsetsCurrent = true;
        }
        return _offsetSums.AsSpan(0, count);
    }

    /// <summary>
    /// Per token and sub-block of 16 values, Σ q: what a dot of unsigned 6-bit codes q (<see cref="Q6KInterleavedWeight"/>)
    /// with these values is off from the dot of q − 32, divided by −32. Computed on the first call after
    /// <see cref="Quantize"/> (not thread-safe: call it before dispatching work that reads it), [Tokens, K/16].
    /// </summary>
    public ReadOnlySpan<int> SubBlockSums()
    {
        const int SubBlock = Q8Format.BlockSize / 2;
        int count = Tokens * BlocksPerRow * 2;
        if (!_subBlockSumsCurrent)
        {
            if (_subBlockSums.Length < count) _subBlockSums = new int[_scales.Length * 2];
            var values = Values;
            for (int s = 0; s < count; s++)
            {
                _subBlockSums[s] = Sum(values.Slice(s * SubBlock, SubBlock));
            }
            _subBlockSumsCurrent = true;
        }
        return _subBlockSums.AsSpan(0, count);
    }
    /// <summary>
    /// Σ q over a block (32 values) or sub-block (16): widened to int16 lanes, which hold any such sum (≤ 32·128), and
    /// added across. These sums run once per matmul input on the dispatching thread before the workers start, where a
    /// byte-by-byte loop held the workers back (about 1.5 ms of a 32-row smollm2-135m step).
    /// </summary>
    private static int Sum(ReadOnlySpan<sbyte> q)
    {
        if (q.Length == 32 && Vector256.IsHardwareAccelerated)
        {
            var (low, high) = Vector256.Widen(Vector256.Create(q));
            return Vector256.Sum(low + high);
        }
        if (q.Length == 16 && Vector128.IsHardwareAccelerated)
        {
            var (low, high) = Vector128.Widen(Vector128.Create(q));
            return Vector128.Sum(low + high);
        }
        int sum = 0;
        foreach (sbyte value in q) sum += value;
        return sum;
    }
}
