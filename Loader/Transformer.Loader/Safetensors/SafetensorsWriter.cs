using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using Transformer.Kernels.Tensors;

namespace Transformer.Loader.Safetensors;

/// <summary>
/// Writes spec-conformant safetensors files: tensors laid out back to back in the order given, and the
/// JSON header padded with spaces so the data region starts 8-byte aligned (which keeps F32 views aligned
/// when mapped).
/// </summary>
public static class SafetensorsWriter
{
    private const int Alignment = 8;

    /// <summary>
    /// Writes <paramref name="tensors"/> (and optional string metadata) to <paramref name="path"/>. The file is
    /// written beside the target and renamed into place, so a reader never sees a half-written model.
    /// </summary>
    public static void Write(string path, IEnumerable<HostTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        string temporary = path + ".partial";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
                Write(stream, tensors, metadata);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Writes a complete safetensors file to <paramref name="destination"/>.</summary>
    public static void Write(Stream destination, IEnumerable<HostTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in list)
        {
            if (tensor.Name == SafetensorsHeader.MetadataKey)
                throw new ArgumentException($"tensor name '{SafetensorsHeader.MetadataKey}' is reserved by the safetensors format");
            if (!seen.Add(tensor.Name))
                throw new ArgumentException($"duplicate tensor name '{tensor.Name}'");
        }

        byte[] header = BuildHeader(list, metadata);
        Span<byte> lengthPrefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lengthPrefix, (ulong)header.Length);
        destination.Write(lengthPrefix);
        destination.Write(header);
        foreach (var tensor in list) destination.Write(tensor.Data.Span);
    }

    private static byte[] BuildHeader(List<HostTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafetensorsHeader.MetadataKey);
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var tensor in tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", DTypes.Name(tensor.Type));
                json.WriteStartArray("shape");
                foreach (int dim in tensor.Shape) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + tensor.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += tensor.Data.Length;
            }
            json.WriteEndObject();
        }

        // 8 length bytes + header must be a multiple of 8; JSON allows trailing spaces, which the spec uses as padding.
        int padded = (buffer.WrittenCount + Alignment - 1) / Alignment * Alignment;
        byte[] header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }
}
