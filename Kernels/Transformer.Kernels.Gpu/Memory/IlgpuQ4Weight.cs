using ILGPU;
using ILGPU.Runtime;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Quantized;

namespace Transformer.Kernels.Gpu.Memory;

/// <summary>Q4_0 on the device: code bytes [out, K/2] and float32 scales [out, K/32].</summary>
public sealed class IlgpuQ4Weight : IlgpuBlockWeight
{
    internal IlgpuQ4Weight(Accelerator accelerator, string name, Q4Weight weight)
        : base(name, weight.OutFeatures, weight.InFeatures, WeightFormat.Q4)
    {
        Codes = Upload(accelerator, weight.Codes);
        Scales = Upload(accelerator, weight.Scales);
    }

    internal ArrayView<byte> Codes { get; }

    internal ArrayView<float> Scales { get; }
}
