using System.Buffers.Binary;
using Transformer.Kernels.Tensors;
using Transformer.Loader.Mapping;

namespace Transformer.Loader.Safetensors;

/// <summary>
/// One safetensors file, memory-mapped read-only. Layout: a little-endian u64 header length N,
/// N bytes of UTF-8 JSON (tensor name → dtype, shape, data_offsets; optional <c>__metadata__</c>),
/// then the data region. Every <see cref="HostTensor"/> views the mapping directly: nothing is copied.
/// </summary>
public sealed class SafetensorsFile : IWeightSource
{
    private const int LengthPrefixBytes = 8;

    private readonly MappedFile _mapping;
    private readonly Dictionary<string, HostTensor> _byName;
    private readonly HostTensor[] _inFileOrder;

    private SafetensorsFile(string path, MappedFile mapping, HostTensor[] inFileOrder, IReadOnlyDictionary<string, string> metadata)
    {
        FilePath = path;
        _mapping = mapping;
        _inFileOrder = inFileOrder;
        _byName = inFileOrder.ToDictionary(t => t.Name, StringComparer.Ordinal);
        Metadata = metadata;
    }

    /// <summary>The file this was read from.</summary>
    public string FilePath { get; }

    /// <inheritdoc/>
    public string Description => FilePath;

    /// <summary>The header's <c>__metadata__</c> map; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <inheritdoc/>
    public IReadOnlyCollection<HostTensor> Tensors => _inFileOrder;

    /// <summary>
    /// Opens and validates <paramref name="path"/>. Throws <see cref="ModelFormatException"/> naming the
    /// file, the tensor and the problem when the file is not a well-formed safetensors file.
    /// </summary>
    public static SafetensorsFile Open(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        long fileLength = info.Length;
        if (fileLength < LengthPrefixBytes)
            throw new ModelFormatException(
                $"{path}: file is {fileLength} bytes, shorter than the 8-byte header length of a safetensors file");

        var mapping = MappedFile.Open(path);
        try
        {
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(mapping.Span(0, LengthPrefixBytes));
            if (headerLength > SafetensorsHeader.MaxHeaderBytes)
                throw new ModelFormatException(
                    $"{path}: header length {headerLength} exceeds the {SafetensorsHeader.MaxHeaderBytes}-byte limit (not a safetensors file?)");
            long available = mapping.Length - LengthPrefixBytes;
            if ((long)headerLength > available)
                throw new ModelFormatException(
                    $"{path}: header length {headerLength} runs past the end of the file ({available} bytes follow the length)");

            long dataStart = LengthPrefixBytes + (long)headerLength;
            var header = SafetensorsHeader.Parse(
                mapping.Span(LengthPrefixBytes, (int)headerLength), mapping.Length - dataStart, path);

            var tensors = header.Entries
                .Select(e => new HostTensor(e.Name, e.Type, e.Shape, mapping.Slice(dataStart + e.Begin, (int)e.ByteLength)))
                .ToArray();
            return new SafetensorsFile(path, mapping, tensors, header.Metadata);
        }
        catch
        {
            mapping.Dispose();
            throw;
        }
    }

    private bool _disposed;

    /// <inheritdoc/>
    public bool TryGet(string name, out HostTensor tensor)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _byName.TryGetValue(name, out tensor!);
    }

    /// <summary>Unmaps the file; tensors obtained from it must not be used afterwards.</summary>
    public void Dispose()
    {
        _disposed = true;
        _mapping.Dispose();
    }
}
