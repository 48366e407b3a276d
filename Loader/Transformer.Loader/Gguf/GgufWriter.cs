using System.Text;

namespace Transformer.Loader.Gguf;

/// <summary>
/// Writes a GGUF version 3 file (what llama.cpp reads, and what <see cref="GgufFile"/> reads back): header, metadata key/value pairs, tensor descriptors, then the tensor
/// data, each tensor starting on an <see cref="Alignment"/>-byte boundary. Everything is little-endian.
/// Usage: add all metadata and declare every tensor, call <see cref="WriteHeader"/>, then
/// <see cref="WriteTensorData"/> once per tensor in declaration order (so large tensors can be produced
/// one at a time and never all held in memory).
/// </summary>
public sealed class GgufWriter : IDisposable
{
    /// <summary>The default alignment of GGUF tensor data (the spec's default for <c>general.alignment</c>).</summary>
    public const int Alignment = 32;

    private const uint Magic = 0x46554747; // "GGUF" read as a little-endian uint32
    private const uint Version = 3;

    private readonly BinaryWriter _writer;
    private readonly List<(string Key, GgufValueType Type, Action<BinaryWriter> Write)> _metadata = [];
    private readonly List<TensorInfo> _tensors = [];
    private long _nextOffset;
    private int _nextToWrite = -1;
    private long _dataStart;

    private sealed record TensorInfo(string Name, GgmlType Type, long[] Dimensions, long Offset, long ByteSize);

    /// <summary>Writes to <paramref name="stream"/>, which the writer owns.</summary>
    public GgufWriter(Stream stream) => _writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: false);

    /// <summary>Adds a string value.</summary>
    public void Add(string key, string value) => AddValue(key, GgufValueType.String, w => WriteString(w, value));

    /// <summary>Adds a uint32 value.</summary>
    public void Add(string key, uint value) => AddValue(key, GgufValueType.UInt32, w => w.Write(value));

    /// <summary>Adds an int32 value.</summary>
    public void Add(string key, int value) => AddValue(key, GgufValueType.Int32, w => w.Write(value));

    /// <summary>Adds a float32 value.</summary>
    public void Add(string key, float value) => AddValue(key, GgufValueType.Float32, w => w.Write(value));

    /// <summary>Adds a bool value (one byte).</summary>
    public void Add(string key, bool value) => AddValue(key, GgufValueType.Bool, w => w.Write(value));

    /// <summary>Adds an array of strings.</summary>
    public void Add(string key, IReadOnlyList<string> values) =>
        AddArray(key, GgufValueType.String, values.Count, w => { foreach (var v in values) WriteString(w, v); });

    /// <summary>Adds an array of float32.</summary>
    public void Add(string key, IReadOnlyList<float> values) =>
        AddArray(key, GgufValueType.Float32, values.Count, w => { foreach (var v in values) w.Write(v); });

    /// <summary>Adds an array of int32.</summary>
    public void Add(string key, IReadOnlyList<int> values) =>
        AddArray(key, GgufValueType.Int32, values.Count, w => { foreach (var v in values) w.Write(v); });

    /// <summary>
    /// Declares a tensor. <paramref name="dimensions"/> are in ggml order: the first is the innermost
    /// (contiguous) one, so a row-major [rows, columns] matrix is declared as [columns, rows].
    /// </summary>
    public void DeclareTensor(string name, GgmlType type, params long[] dimensions)
    {
        if (_nextToWrite >= 0) throw new InvalidOperationException($"tensor '{name}' declared after the header was written");
        if (_tensors.Any(t => t.Name == name)) throw new ArgumentException($"tensor '{name}' declared twice", nameof(name));
        long byteSize = ByteSize(type, dimensions);
        _tensors.Add(new TensorInfo(name, type, dimensions, _nextOffset, byteSize));
        _nextOffset = AlignUp(_nextOffset + byteSize);
    }

    /// <summary>Writes the header, metadata and tensor descriptors, padded to where tensor data starts.</summary>
    public void WriteHeader()
    {
        if (_nextToWrite >= 0) throw new InvalidOperationException("the header was already written");
        _writer.Write(Magic);
        _writer.Write(Version);
        _writer.Write((ulong)_tensors.Count);
        _writer.Write((ulong)_metadata.Count);
        foreach (var (key, type, write) in _metadata)
        {
            WriteString(_writer, key);
            _writer.Write((uint)type);
            write(_writer);
        }
        foreach (var tensor in _tensors)
        {
            WriteString(_writer, tensor.Name);
            _writer.Write((uint)tensor.Dimensions.Length);
            foreach (long d in tensor.Dimensions) _writer.Write((ulong)d);
            _writer.Write((uint)tensor.Type);
            _writer.Write((ulong)tensor.Offset);
        }
        PadTo(AlignUp(_writer.BaseStream.Position));
        _dataStart = _writer.BaseStream.Position;
        _nextToWrite = 0;
    }

    /// <summary>Writes the bytes of the next declared tensor, which must be named <paramref name="name"/>.</summary>
    public void WriteTensorData(string name, ReadOnlySpan<byte> data)
    {
        if (_nextToWrite < 0) throw new InvalidOperationException("write the header before tensor data");
        if (_nextToWrite >= _tensors.Count) throw new InvalidOperationException($"tensor '{name}' was never declared");
        var tensor = _tensors[_nextToWrite];
        if (tensor.Name != name) throw new InvalidOperationException($"tensor data out of order: expected '{tensor.Name}', got '{name}'");
        if (data.Length != tensor.ByteSize) throw new ArgumentException($"tensor '{name}' has {tensor.ByteSize} bytes, got {data.Length}", nameof(data));
        PadTo(_dataStart + tensor.Offset);
        _writer.Write(data);
        _nextToWrite++;
    }

    /// <summary>Flushes and closes the file; every declared tensor must have been written.</summary>
    public void Dispose()
    {
        try
        {
            if (_nextToWrite >= 0 && _nextToWrite < _tensors.Count)
                throw new InvalidOperationException($"GGUF closed with {_tensors.Count - _nextToWrite} tensors unwritten (next: '{_tensors[_nextToWrite].Name}')");
        }
        finally
        {
            _writer.Dispose();
        }
    }

    /// <summary>Bytes of a tensor: whole blocks of its type along the innermost dimension.</summary>
    private static long ByteSize(GgmlType type, long[] dimensions)
    {
        if (!GgmlTypes.TryGetLayout(type, out int blockSize, out int blockBytes))
            throw new ArgumentException($"unknown ggml type {type}", nameof(type));
        if (dimensions.Length == 0 || dimensions[0] % blockSize != 0)
            throw new ArgumentException($"{GgmlTypes.Name(type)} rows must be a multiple of {blockSize} values, got [{string.Join(", ", dimensions)}]", nameof(dimensions));
        return dimensions.Aggregate(1L, (p, d) => p * d) / blockSize * blockBytes;
    }

    private void AddValue(string key, GgufValueType type, Action<BinaryWriter> write)
    {
        if (_nextToWrite >= 0) throw new InvalidOperationException($"metadata '{key}' added after the header was written");
        if (_metadata.Any(m => m.Key == key)) throw new ArgumentException($"metadata key '{key}' added twice", nameof(key));
        _metadata.Add((key, type, write));
    }

    private void AddArray(string key, GgufValueType elementType, int count, Action<BinaryWriter> writeElements) =>
        AddValue(key, GgufValueType.Array, w =>
        {
            w.Write((uint)elementType);
            w.Write((ulong)count);
            writeElements(w);
        });

    private static void WriteString(BinaryWriter writer, string value)
    {
        // GGUF strings: uint64 byte length, then UTF-8 bytes without a terminator.
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        writer.Write((ulong)bytes.Length);
        writer.Write(bytes);
    }

    private void PadTo(long position)
    {
        long padding = position - _writer.BaseStream.Position;
        if (padding < 0) throw new InvalidOperationException($"GGUF writer overran offset {position} by {-padding} bytes");
        for (long i = 0; i < padding; i++) _writer.Write((byte)0);
    }

    private static long AlignUp(long offset) => (offset + Alignment - 1) / Alignment * Alignment;
}
