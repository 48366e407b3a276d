using Transformer.Loader.Mapping;

namespace Transformer.Loader.Gguf;

/// <summary>
/// A GGUF file (versions 2 and 3), memory-mapped read-only: typed metadata, tensor descriptors, and views of
/// each tensor's bytes straight into the mapping. Layout: magic "GGUF", version, tensor count, key/value count,
/// the key/value pairs, the tensor descriptors, padding to <see cref="Alignment"/>, then the data region in which
/// every tensor starts at an aligned offset. Everything is little-endian.
/// </summary>
/// <remarks>
/// Every count, length and offset is checked against the bytes that are actually there before anything is
/// allocated for it, so a corrupt file fails with one <see cref="ModelFormatException"/> naming what is wrong,
/// never with an out-of-memory, an overflow or a read outside the mapping.
/// </remarks>
public sealed class GgufFile : IDisposable
{
    /// <summary>The spec's default alignment when <c>general.alignment</c> is absent.</summary>
    public const int DefaultAlignment = 32;

    private readonly MappedFile _mapping;
    private readonly Dictionary<string, GgufTensorInfo> _byName;

    private GgufFile(string path, MappedFile mapping, uint version, GgufMetadata metadata, GgufTensorInfo[] tensors, int alignment, long dataOffset)
    {
        FilePath = path;
        _mapping = mapping;
        Version = version;
        Metadata = metadata;
        Tensors = tensors;
        Alignment = alignment;
        DataOffset = dataOffset;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The file this was read from.</summary>
    public string FilePath { get; }

    /// <summary>The format version (2 or 3).</summary>
    public uint Version { get; }

    /// <summary>The key/value metadata.</summary>
    public GgufMetadata Metadata { get; }

    /// <summary>Tensor descriptors in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>Alignment of the data region and of every tensor in it (<c>general.alignment</c>, default 32).</summary>
    public int Alignment { get; }

    /// <summary>Where the data region starts in the file.</summary>
    public long DataOffset { get; }

    /// <summary>The architecture (<c>general.architecture</c>), or null when the file does not say.</summary>
    public string? Architecture => Metadata.OptionalString("general.architecture");

    /// <summary>Whether the file starts with the GGUF magic (a cheap check for choosing a reader).</summary>
    public static bool HasMagic(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return stream.Length >= 4 && stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic.SequenceEqual(GgufHeaderReader.Magic);
    }

    /// <summary>
    /// Maps and validates <paramref name="path"/>. Throws <see cref="ModelFormatException"/> naming the file and
    /// the problem when it is not a well-formed GGUF file.
    /// </summary>
    public static GgufFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"GGUF file not found: {path}", path);
        long length = new FileInfo(path).Length;
        if (length < GgufHeaderReader.FixedHeaderBytes)
            throw new ModelFormatException($"{path}: file is {length} bytes, shorter than the {GgufHeaderReader.FixedHeaderBytes}-byte GGUF header");

        var mapping = MappedFile.Open(path);
        try
        {
            // The header (metadata + descriptors) is parsed from the mapping; a header over 2 GiB is not a real model.
            var header = GgufHeaderReader.Read(mapping.Span(0, (int)Math.Min(mapping.Length, int.MaxValue)), mapping.Length, path);
            return new GgufFile(path, mapping, header.Version, header.Metadata, header.Tensors, header.Alignment, header.DataOffset);
        }
        catch
        {
            mapping.Dispose();
            throw;
        }
    }

    /// <summary>Finds a tensor descriptor by its GGUF name.</summary>
    public bool TryGetTensor(string name, out GgufTensorInfo tensor) => _byName.TryGetValue(name, out tensor!);

    /// <summary>
    /// The stored bytes of a tensor, viewing the mapping (nothing is copied). Limited to 2 GiB per tensor because
    /// <see cref="ReadOnlyMemory{T}"/> is.
    /// </summary>
    public ReadOnlyMemory<byte> Data(GgufTensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (tensor.ByteLength > int.MaxValue)
            throw new ModelFormatException($"{FilePath}: tensor '{InputQuote.Cap(tensor.Name)}' ({tensor.ByteLength} bytes) exceeds the {int.MaxValue}-byte limit of one tensor view");
        return _mapping.Slice(DataOffset + tensor.Offset, (int)tensor.ByteLength);
    }

    private bool _disposed;

    /// <summary>Unmaps the file; tensor views obtained from it must not be used afterwards.</summary>
    public void Dispose()
    {
        _disposed = true;
        _mapping.Dispose();
    }
}
