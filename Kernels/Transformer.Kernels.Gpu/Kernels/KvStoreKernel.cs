using ILGPU;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>Writes each row's key and value heads to the row's pool slot, rounding to the pool's storage type.</summary>
internal static class KvStoreKernel
{
    /// <summary>F32 pool; index = (row, kvHead·headDim + i); columns = kvHeads·headDim.</summary>
    public static void F32(Index2D index, ArrayView<float> k, ArrayView<float> v, ArrayView<float> keys, ArrayView<float> values,
        ArrayView<int> slots, KvLayout layout, int columns) =>
        Store(index, k, v, new F32Elements(keys), new F32Elements(values), slots, layout, columns);

    /// <summary>F16 pool; index = (row, kvHead·headDim + i).</summary>
    public static void F16(Index2D index, ArrayView<float> k, ArrayView<float> v, ArrayView<ushort> keys, ArrayView<ushort> values,
        ArrayView<int> slots, KvLayout layout, int columns) =>
        Store(index, k, v, new F16Elements(keys), new F16Elements(values), slots, layout, columns);

    private static void Store<TKv>(Index2D index, ArrayView<float> k, ArrayView<float> v, TKv keys, TKv values, ArrayView<int> slots, KvLayout layout,
        int columns)
        where TKv : struct, IKvElements
    {
        int row = index.X, feature = index.Y;
        int destination = layout.SlotStart(slots[row], feature / layout.HeadDim) + feature % layout.HeadDim;
        int source = row * columns + feature;
        keys.Write(destination, k[source]);
        values.Write(destination, v[source]);
    }
}
