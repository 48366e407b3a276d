using ILGPU;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>
/// IEEE binary16 ↔ float32 conversions on the raw bits, for F16 KV pools stored as <see cref="ushort"/>.
/// Written here instead of using ILGPU's Half because ILGPU lowers Half to OpenCL's <c>half</c> type,
/// which needs the optional cl_khr_fp16 extension that many OpenCL devices (POCL among them) lack;
/// plain integer code runs on every accelerator. Narrowing rounds to nearest, ties to even, as
/// <see cref="System.Half"/> and TensorPrimitives.ConvertToHalf do, so a GPU pool holds the same
/// bits as the CPU pool.
/// </summary>
internal static class HalfBits
{
    /// <summary>The float32 value of binary16 bits (exact: every half is a float).</summary>
    public static float ToFloat(ushort bits)
    {
        uint sign = (uint)(bits & 0x8000) << 16;
        int exponent = (bits >> 10) & 0x1F;
        uint mantissa = (uint)(bits & 0x3FF);
        if (exponent == 0x1F) return Interop.IntAsFloat(sign | 0x7F800000u | (mantissa << 13));
        if (exponent != 0) return Interop.IntAsFloat(sign | ((uint)(exponent + 112) << 23) | (mantissa << 13));
        // Zero or subnormal: mantissa · 2⁻²⁴, exact in float32.
        float magnitude = mantissa * (1f / 16777216f);
        return sign != 0 ? -magnitude : magnitude;
    }

    /// <summary>The binary16 bits nearest to a float32 value (ties to even; overflow to infinity; NaN stays NaN).</summary>
    public static ushort FromFloat(float value)
    {
        uint bits = Interop.FloatAsInt(value);
        uint sign = (bits >> 16) & 0x8000u;
        int exponent = (int)((bits >> 23) & 0xFF);
        uint mantissa = bits & 0x7FFFFFu;
        if (exponent == 0xFF) return (ushort)(sign | 0x7C00u | (mantissa != 0 ? 0x200u | (mantissa >> 13) : 0u));
        int halfExponent = exponent - 127 + 15;
        if (halfExponent >= 0x1F) return (ushort)(sign | 0x7C00u);
        if (halfExponent <= 0)
        {
            // Below 2⁻²⁵ everything rounds to zero; above, a subnormal half with the implicit bit shifted in.
            if (halfExponent < -10) return (ushort)sign;
            mantissa |= 0x800000u;
            int shift = 14 - halfExponent;
            uint subnormal = mantissa >> shift;
            uint rest = mantissa & ((1u << shift) - 1), halfway = 1u << (shift - 1);
            if (rest > halfway || (rest == halfway && (subnormal & 1) != 0)) subnormal++;
            return (ushort)(sign | subnormal);
        }
        uint half = sign | ((uint)halfExponent << 10) | (mantissa >> 13);
        uint dropped = mantissa & 0x1FFFu;
        // A carry out of the mantissa correctly bumps the exponent (up to infinity).
        if (dropped > 0x1000u || (dropped == 0x1000u && (half & 1) != 0)) half++;
        return (ushort)half;
    }
}
