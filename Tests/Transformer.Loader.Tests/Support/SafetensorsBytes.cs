using System.Buffers.Binary;
using System.Text;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Safetensors;

namespace Transformer.Loader.Tests.Support;

/// <summary>Builds safetensors files byte by byte, including malformed ones the writer would refuse to produce.</summary>
public static class SafetensorsBytes
{
    /// <summary>A u64 length prefix, the header text as UTF-8, then the data bytes.</summary>
    public static byte[] Raw(string headerJson, byte[] data) => Raw(Encoding.UTF8.GetBytes(headerJson), data);

    public static byte[] Raw(byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>What <see cref="SafetensorsWriter"/> produces for these tensors.</summary>
    public static byte[] Written(IEnumerable<HostTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var stream = new MemoryStream();
        SafetensorsWriter.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    /// <summary>Deterministic non-trivial bytes for a tensor of this dtype and shape.</summary>
    public static HostTensor Pattern(string name, DType type, params int[] shape)
    {
        long count = shape.Aggregate(1L, (a, d) => a * d);
        var data = new byte[count * DTypes.SizeOf(type)];
        // A stable seed (string.GetHashCode is randomized per process) keeps failures reproducible.
        var random = new Random(name.Aggregate(17, (h, c) => h * 31 + c));
        random.NextBytes(data);
        return new HostTensor(name, type, shape, data);
    }
}
