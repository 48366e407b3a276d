using ILGPU;
using ILGPU.Runtime;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Quantized;

namespace Transformer.Kernels.Gpu.Memory;

/// <summary>Q6_K on the device: 26-byte blocks [out, K/32·26] and float32 scales d [out, K/32].</summary>
public sealed class IlgpuQ6KWeight : IlgpuBlockWeight
{
    internal IlgpuQ6KWeight(Accelerator accelerator, string name, Q6KWeight weight)
        : base(name, weight.OutFeatures, weight.InFeatures, WeightFormat.Q6K)
    {
        Blocks = Upload(accelerator, weight.Blocks);
        Scales = Upload(accelerator, weight.Scales);
    }

    internal ArrayView<byte> Blocks { get; }

    internal ArrayView<float> Scales { get; }
}
