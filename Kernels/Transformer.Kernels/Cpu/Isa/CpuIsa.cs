namespace Transformer.Kernels.Cpu.Isa;

/// <summary>
/// An instruction-set path of the CPU kernels. Each names the widest instructions the int8 and
/// f32 matmuls use; every path has the same result up to the stated float tolerance.
/// </summary>
public enum CpuIsa
{
    /// <summary>Plain C#: the readable reference, and the fallback on any CPU.</summary>
    Scalar,
    /// <summary>x86 AVX2 + FMA: 256-bit vectors; int8 dots by sign trick + vpmaddubsw + vpmaddwd.</summary>
    Avx2,
    /// <summary>x86 AVX-512 F+BW: 512-bit vectors; int8 dots by sign extension to int16 + vpmaddwd.</summary>
    Avx512,
    /// <summary>x86 AVX-VNNI (VEX): 256-bit vpdpbusd for int8 dots, AVX2 + FMA for f32.</summary>
    AvxVnni,
    /// <summary>Arm AdvSimd: 128-bit vectors; int8 dots by widening multiply (smull) and pairwise add (sadalp).</summary>
    Neon,
    /// <summary>Arm AdvSimd with the dot-product extension: int8 dots by sdot.</summary>
    NeonDp,
}
