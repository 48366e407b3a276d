using ILGPU;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>
/// Reads and writes one storage type of a KV pool as float32, so the store and attention kernels are
/// written once and compiled per storage type (ILGPU specializes a generic kernel body per struct).
/// </summary>
internal interface IKvElements
{
    /// <summary>The value at an index, widened to float32.</summary>
    float Read(int index);

    /// <summary>Stores a float32 value at an index, rounded to the storage type.</summary>
    void Write(int index, float value);
}

/// <summary>float32 storage: reads and writes are exact.</summary>
internal readonly struct F32Elements(ArrayView<float> view) : IKvElements
{
    public float Read(int index) => view[index];

    public void Write(int index, float value) => view[index] = value;
}

/// <summary>binary16 storage held as raw bits; see <see cref="HalfBits"/>.</summary>
internal readonly struct F16Elements(ArrayView<ushort> view) : IKvElements
{
    public float Read(int index) => HalfBits.ToFloat(view[index]);

    public void Write(int index, float value) => view[index] = HalfBits.FromFloat(value);
}
