namespace Transformer.Kernels.Backend;

/// <summary>
/// A weight matrix [OutFeatures, InFeatures] (PyTorch orientation) prepared by a backend in the
/// format it computes with. Quantization is a property of a weight, not of the model.
/// </summary>
public abstract class DeviceWeight : IDisposable
{
    /// <summary>Creates the shape header.</summary>
    protected DeviceWeight(string name, int outFeatures, int inFeatures, WeightFormat format)
    {
        Name = name;
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        Format = format;
    }

    /// <summary>The source tensor's name.</summary>
    public string Name { get; }
    /// <summary>Rows: output features.</summary>
    public int OutFeatures { get; }
    /// <summary>Columns: input features (the reduction dimension K).</summary>
    public int InFeatures { get; }
    /// <summary>How the backend stores the values.</summary>
    public WeightFormat Format { get; }
    /// <summary>Bytes the weight occupies in the backend's format (for bandwidth figures).</summary>
    public abstract long ByteSize { get; }

    /// <summary>Releases what the backend allocated (a mapped f32 weight releases nothing).</summary>
    public abstract void Dispose();
}

/// <summary>Formats a backend may hold a weight in.</summary>
public enum WeightFormat
{
    /// <summary>float32 values.</summary>
    F32,
    /// <summary>Symmetric int8 in blocks along K with one float32 scale per block.</summary>
    Q8,
    /// <summary>4-bit codes (ggml's Q4_0: value (q − 8)·d) in blocks along K with one float32 scale per block.</summary>
    Q4,
    /// <summary>ggml's Q4_K as stored: 4-bit codes with a float32 scale d·s and minimum dmin·m per 32 values (see <see cref="Quantized.Q4KWeight"/>).</summary>
    Q4K,
    /// <summary>ggml's Q6_K as stored: 6-bit values with int8 scales per 16 and a float32 d per 32 values (see <see cref="Quantized.Q6KWeight"/>).</summary>
    Q6K,
    /// <summary>
    /// A request, not a storage format: llama.cpp's Q4_K_M mix, each matrix Q4K or Q6K by its role
    /// (<see cref="Quantized.Ggml.GgmlQ4_K_M"/>); a backend asked for it directly treats it as <see cref="Q4K"/>.
    /// </summary>
    Q4KM,
}
