using ILGPU;
using ILGPU.Runtime;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Quantized;

namespace Transformer.Kernels.Gpu.Memory;

/// <summary>Q4_K on the device: code bytes [out, K/2], float32 scales d·s and minimums dmin·m [out, K/32].</summary>
public sealed class IlgpuQ4KWeight : IlgpuBlockWeight
{
    internal IlgpuQ4KWeight(Accelerator accelerator, string name, Q4KWeight weight)
        : base(name, weight.OutFeatures, weight.InFeatures, WeightFormat.Q4K)
    {
        Codes = Upload(accelerator, weight.Codes);
        Scales = Upload(accelerator, weight.Scales);
        Mins = Upload(accelerator, weight.Mins);
    }

    internal ArrayView<byte> Codes { get; }

    internal ArrayView<float> Scales { get; }

    internal ArrayView<float> Mins { get; }
}
