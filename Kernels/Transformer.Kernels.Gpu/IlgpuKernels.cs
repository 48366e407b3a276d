using ILGPU;
using ILGPU.Runtime;
using Transformer.Kernels.Gpu.Kernels;

namespace Transformer.Kernels.Gpu;

/// <summary>
/// Every kernel of the backend, compiled once per accelerator and bound to its default stream, so all
/// ops of a forward pass queue in order on one stream without host synchronisation.
/// </summary>
internal sealed class IlgpuKernels
{
    public IlgpuKernels(Accelerator accelerator)
    {
        SwiGlu = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.SwiGlu);
        Add = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Add);
        GeGlu = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.GeGlu);
        Gelu = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Gelu);
        Scale = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float>(ElementwiseKernels.Scale);
        SoftCap = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float>(ElementwiseKernels.SoftCap);
        AddBias = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.AddBias);
        Embed = accelerator.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>(ElementwiseKernels.Embed);
        GatherRows = accelerator.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>(ElementwiseKernels.GatherRows);
        StoreKvF32 = accelerator.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>,
            KvLayout, int>(KvStoreKernel.F32);
        StoreKvF16 = accelerator.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<int>,
            KvLayout, int>(KvStoreKernel.F16);
        Rope = accelerator.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, RopeShape>(RopeKernel.Run);
        RmsNorm = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, SpecializedValue<int>>(RmsNormKernel.Run);
        LayerNorm = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, SpecializedValue<int>>(
            LayerNormKernel.Run);
        MatMulF32 = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>>(MatMulKernels.F32);
        MatMulQ8 = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<sbyte>, ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>>(
            MatMulKernels.Q8);
        AttentionF32 = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>,
            ArrayView<int>, ArrayView<float>, AttentionShape, SpecializedValue<int>, SpecializedValue<int>>(PagedAttentionKernel.F32);
        AttentionF16 = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<int>, ArrayView<int>, ArrayView<int>,
            ArrayView<int>, ArrayView<float>, AttentionShape, SpecializedValue<int>, SpecializedValue<int>>(PagedAttentionKernel.F16);
        BidirectionalAttention = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int,
            SpecializedValue<int>, SpecializedValue<int>>(BidirectionalAttentionKernel.Run);
        MatMulQ4 = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<byte>, ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>>(
            MatMulKernels.Q4);
        MatMulQ4K = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<byte>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int,
            SpecializedValue<int>>(MatMulKernels.Q4K);
        MatMulQ6K = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<byte>, ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>>(
            MatMulKernels.Q6K);
        Q8Embed = accelerator.LoadAutoGroupedStreamKernel<Index2D, ArrayView<sbyte>, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>(
            QuantizedEmbedKernels.Q8);
        Q4Embed = accelerator.LoadAutoGroupedStreamKernel<Index2D, ArrayView<byte>, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>(
            QuantizedEmbedKernels.Q4);
        Q4KEmbed = accelerator.LoadAutoGroupedStreamKernel<Index2D, ArrayView<byte>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>(
            QuantizedEmbedKernels.Q4K);
        Q6KEmbed = accelerator.LoadAutoGroupedStreamKernel<Index2D, ArrayView<byte>, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>(
            QuantizedEmbedKernels.Q6K);
        Argmax = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, int, SpecializedValue<int>>(ArgmaxKernel.Run);
    }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> SwiGlu { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>> Add { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> GeGlu { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>> Gelu { get; }
    public Action<Index1D, ArrayView<float>, float> Scale { get; }
    public Action<Index1D, ArrayView<float>, float> SoftCap { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, int> AddBias { get; }
    public Action<Index2D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int> Embed { get; }
    public Action<Index2D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int> GatherRows { get; }
    public Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, KvLayout, int> StoreKvF32 { get; }
    public Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<int>, KvLayout, int> StoreKvF16 { get; }
    public Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, RopeShape> Rope { get; }
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, SpecializedValue<int>> RmsNorm { get; }
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, SpecializedValue<int>> LayerNorm { get; }
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>> MatMulF32 { get; }
    public Action<KernelConfig, ArrayView<float>, ArrayView<sbyte>, ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>> MatMulQ8 { get; }
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>,
        ArrayView<float>, AttentionShape, SpecializedValue<int>, SpecializedValue<int>> AttentionF32 { get; }
    public Action<KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<ushort>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>,
        ArrayView<float>, AttentionShape, SpecializedValue<int>, SpecializedValue<int>> AttentionF16 { get; }
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, SpecializedValue<int>,
        SpecializedValue<int>> BidirectionalAttention { get; }
    public Action<KernelConfig, ArrayView<float>, ArrayView<byte>, ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>> MatMulQ4 { get; }
    public Action<KernelConfig, ArrayView<float>, ArrayView<byte>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int,
        SpecializedValue<int>> MatMulQ4K { get; }
    public Action<KernelConfig, ArrayView<float>, ArrayView<byte>, ArrayView<float>, ArrayView<float>, int, int, int, SpecializedValue<int>> MatMulQ6K { get; }
    public Action<Index2D, ArrayView<sbyte>, ArrayView<float>, ArrayView<int>, ArrayView<float>, int> Q8Embed { get; }
    public Action<Index2D, ArrayView<byte>, ArrayView<float>, ArrayView<int>, ArrayView<float>, int> Q4Embed { get; }
    public Action<Index2D, ArrayView<byte>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, int> Q4KEmbed { get; }
    public Action<Index2D, ArrayView<byte>, ArrayView<float>, ArrayView<int>, ArrayView<float>, int> Q6KEmbed { get; }
    public Action<KernelConfig, ArrayView<float>, ArrayView<int>, int, SpecializedValue<int>> Argmax { get; }
}
