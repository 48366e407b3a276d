namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>
/// Where one layer of a KV pool ([layer][block][kvHead][slot][headDim]) lives in its buffer: the element
/// of (block, kvHead, slot, i) is LayerOffset + block·BlockStride + kvHead·HeadStride + slot·HeadDim + i.
/// </summary>
internal readonly record struct KvLayout(int LayerOffset, int BlockStride, int HeadStride, int BlockSize, int HeadDim)
{
    /// <summary>The first element of a pool slot's head, slot = block·BlockSize + offset.</summary>
    public int SlotStart(int slot, int kvHead) => LayerOffset + slot / BlockSize * BlockStride + kvHead * HeadStride + slot % BlockSize * HeadDim;
}
